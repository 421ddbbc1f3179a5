import { contactInboxesOf } from "../../store/contact-inboxes.js";
import { findContact } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { toContactInbox } from "../inboxes/contact-inbox.js";
import type { Contact } from "./contact.js";

export async function getContact(
  deps: CoreDeps,
  actor: Actor,
  id: number,
  options: { includeContactInboxes?: boolean } = {},
): Promise<Contact> {
  const contact = await findContact(deps.db, actor.accountId, id);
  if (!contact) throw new NotFoundError("contact");
  if (!options.includeContactInboxes) return contact;
  const [withInboxes] = await withContactInboxes(deps.db, actor.accountId, [contact]);
  return withInboxes as Contact;
}

/** The contacts with their inbox identities, fetched in one query for all of them. */
export async function withContactInboxes(db: Queryable, accountId: number, contacts: Contact[]): Promise<Contact[]> {
  const rows = await contactInboxesOf(
    db,
    accountId,
    contacts.map((c) => c.id),
  );
  return contacts.map((contact) => ({
    ...contact,
    contactInboxes: rows.filter((row) => row.contact_id === contact.id).map(toContactInbox),
  }));
}
