import { findContact } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import type { Contact } from "./contact.js";

export async function getContact(deps: CoreDeps, actor: Actor, id: number): Promise<Contact> {
  const contact = await findContact(deps.db, actor.accountId, id);
  if (!contact) throw new NotFoundError("contact");
  return contact;
}
