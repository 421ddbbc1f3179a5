import { deleteContact as deleteContactRow } from "../../store/contacts.js";
import { type Actor, requireAdministrator } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";

export async function deleteContact(deps: CoreDeps, actor: Actor, id: number): Promise<void> {
  requireAdministrator(actor);
  const deleted = await deleteContactRow(deps.db, actor.accountId, id);
  if (!deleted) throw new NotFoundError("contact");
}
