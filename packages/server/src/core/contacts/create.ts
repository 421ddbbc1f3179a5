import { findContact, insertContact } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { contactChanges } from "../activities/changes.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { recordChanges } from "../events/record.js";
import { type AttachInput, attachInTransaction, withSourceUniqueness } from "../inboxes/contact-inbox.js";
import { createLabelLinks } from "../labels/links.js";
import type { Contact, ContactInput } from "./contact.js";
import { type ContactPatch, columnsForNewContact, prepareContactPatch } from "./prepare.js";
import { withContactUniqueness } from "./uniqueness.js";

/** Creates a contact, attached to an inbox when one is given, all in one transaction. */
export async function createContact(
  deps: CoreDeps,
  actor: Actor,
  input: ContactInput,
  inbox?: AttachInput,
): Promise<Contact> {
  const patch = prepareContactPatch(input, deps.settings);
  const columns = columnsForNewContact(patch);
  const write = () =>
    deps.db.transaction(async (tx) => {
      const contact = await insertNewContact(tx, actor, patch);
      if (!inbox) return contact;
      return { ...contact, contactInboxes: [await attachInTransaction(tx, actor, contact, inbox)] };
    });
  return withContactUniqueness(deps.db, actor.accountId, columns, () =>
    withSourceUniqueness(deps.db, actor.accountId, inbox ?? {}, write),
  );
}

/**
 * Inserts a validated contact with its labels and its history entry, inside the caller's
 * transaction; the caller turns unique-index clashes into conflicts.
 */
export async function insertNewContact(tx: Queryable, actor: Actor, patch: ContactPatch): Promise<Contact> {
  const columns = columnsForNewContact(patch);
  const id = await insertContact(tx, actor.accountId, columns);
  if (patch.labels) await createLabelLinks(tx, actor.accountId, id, patch.labels);
  await recordChanges(tx, actor.accountId, [
    {
      contactId: id,
      action: "contact.created",
      actorId: actor.userId,
      details: { changes: contactChanges(columnsForNewContact({}), columns), labels: patch.labels ?? [] },
    },
  ]);
  return (await findContact(tx, actor.accountId, id)) as Contact;
}
