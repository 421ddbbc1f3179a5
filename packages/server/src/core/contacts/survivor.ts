import { survivorOf } from "../../store/merges.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { ContactMergedError, NotFoundError } from "../errors.js";

/** Why a contact id names no contact: merged into another (410, naming it) or simply unknown (404). */
export async function missingContact(
  deps: CoreDeps,
  actor: Actor,
  id: number,
): Promise<ContactMergedError | NotFoundError> {
  const survivor = await survivorOf(deps.db, actor.accountId, id);
  return survivor === null ? new NotFoundError("contact") : new ContactMergedError(survivor);
}
