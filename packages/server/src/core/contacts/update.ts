import { findContact, updateContactColumns } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { replaceLabelLinks } from "../labels/links.js";
import type { Contact, ContactInput } from "./contact.js";
import { columnsForUpdatedContact, prepareContactPatch } from "./prepare.js";
import { withContactUniqueness } from "./uniqueness.js";

export async function updateContact(deps: CoreDeps, actor: Actor, id: number, input: ContactInput): Promise<Contact> {
  const patch = prepareContactPatch(input, deps.settings);
  const values = { email: patch.email, phoneE164: patch.phone?.e164, identifier: patch.identifier };
  return withContactUniqueness(deps.db, actor.accountId, values, () =>
    deps.db.transaction(async (tx) => {
      // The row lock makes read-merge-write of the attribute hashes safe against concurrent updates.
      const current = await findContact(tx, actor.accountId, id, { forUpdate: true });
      if (!current) throw new NotFoundError("contact");
      const columns = columnsForUpdatedContact(current, patch);
      await updateContactColumns(tx, actor.accountId, id, columns);
      if (patch.labels) await replaceLabelLinks(tx, actor.accountId, id, patch.labels);
      return (await findContact(tx, actor.accountId, id)) as Contact;
    }),
  );
}
