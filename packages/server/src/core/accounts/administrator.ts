import { firstAdministrator } from "../../store/accounts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";

/**
 * The actor for work an operator starts outside any request (the command line): the account's
 * first administrator, with no credential.
 */
export async function administratorOf(deps: CoreDeps, accountId: number): Promise<Actor> {
  const user = await firstAdministrator(deps.db, accountId);
  if (!user) throw new NotFoundError("account");
  return { accountId, userId: user.id, role: "administrator", credentialId: 0 };
}
