import type { NewActivity } from "../../store/activities.js";
import { clearContactAvatarKey, contactAvatar, deleteAvatarRow } from "../../store/avatars.js";
import { findContact, updateContactColumns } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { contactChanges, labelChanges } from "../activities/changes.js";
import type { Actor } from "../actor.js";
import { avatarBlobKey } from "../avatars/avatar.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { deleteBlobs } from "../files/blobs.js";
import { replaceLabelLinks } from "../labels/links.js";
import type { Contact, ContactColumns, ContactInput } from "./contact.js";
import { type ContactPatch, columnsForUpdatedContact, columnsOf, prepareContactPatch } from "./prepare.js";
import { withContactUniqueness } from "./uniqueness.js";
import { type ExpectedVersions, requireVersion } from "./version.js";

export async function updateContact(
  deps: CoreDeps,
  actor: Actor,
  id: number,
  input: ContactInput,
  expected?: ExpectedVersions,
): Promise<Contact> {
  const patch = prepareContactPatch(input, deps.settings);
  const values = { email: patch.email, phoneE164: patch.phone?.e164, identifier: patch.identifier };
  const { contact, releasedAvatar } = await withContactUniqueness(deps.db, actor.accountId, values, () =>
    deps.db.transaction(async (tx) => {
      // The row lock makes read-merge-write of the attribute hashes safe against concurrent updates.
      const current = await findContact(tx, actor.accountId, id, { forUpdate: true });
      if (!current) throw new NotFoundError("contact");
      requireVersion(current, expected);
      return applyContactPatch(tx, actor, current, patch);
    }),
  );
  if (releasedAvatar) await deleteBlobs(deps.blobs, [avatarBlobKey(releasedAvatar)]);
  return contact;
}

/**
 * Writes a validated patch over a contact the caller has locked in its transaction, with the
 * history entries. `releasedAvatar` is an uploaded avatar whose bytes to delete after commit.
 */
export async function applyContactPatch(
  tx: Queryable,
  actor: Actor,
  current: Contact,
  patch: ContactPatch,
): Promise<{ contact: Contact; releasedAvatar: string | null }> {
  const id = current.id;
  const columns = columnsForUpdatedContact(current, patch);
  await updateContactColumns(tx, actor.accountId, id, columns);
  let releasedAvatar: string | null = null;
  // A new avatar_url replaces an uploaded avatar: its row goes now, its bytes after commit.
  if (patch.avatarUrl !== undefined && columns.avatarUrl !== current.avatarUrl) {
    releasedAvatar = await releaseUploadedAvatar(tx, actor.accountId, id);
  }
  if (patch.labels) await replaceLabelLinks(tx, actor.accountId, id, patch.labels);
  await recordChanges(tx, actor.accountId, historyOf(actor, current, columns, patch.labels));
  return { contact: (await findContact(tx, actor.accountId, id)) as Contact, releasedAvatar };
}

async function releaseUploadedAvatar(tx: Queryable, accountId: number, contactId: number): Promise<string | null> {
  const avatar = await contactAvatar(tx, accountId, contactId);
  if (!avatar?.avatarKey) return null;
  await clearContactAvatarKey(tx, accountId, contactId);
  await deleteAvatarRow(tx, accountId, avatar.avatarKey);
  return avatar.avatarKey;
}

/** What an update did, for the contact's history: changed fields and label moves, if any. */
function historyOf(
  actor: Actor,
  current: Contact,
  columns: ContactColumns,
  labels: string[] | undefined,
): NewActivity[] {
  const entries: NewActivity[] = [];
  const changes = contactChanges(columnsOf(current), columns);
  if (Object.keys(changes).length > 0) {
    entries.push({ contactId: current.id, action: "contact.updated", actorId: actor.userId, details: { changes } });
  }
  const moved = labels ? labelChanges(current.labels, labels) : { added: [], removed: [] };
  if (moved.added.length + moved.removed.length > 0) {
    entries.push({ contactId: current.id, action: "contact.labels_changed", actorId: actor.userId, details: moved });
  }
  return entries;
}
