import { contactAvatar, deleteAvatarRow, setContactAvatarColumns } from "../../store/avatars.js";
import { findContact } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { Contact } from "../contacts/contact.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { deleteBlobs } from "../files/blobs.js";
import { avatarBlobKey } from "./avatar.js";

/** Clears a contact's avatar (uploaded or linked); an uploaded one's bytes go once that is committed. */
export async function removeContactAvatar(deps: CoreDeps, actor: Actor, contactId: number): Promise<Contact> {
  const { contact, removedKey } = await deps.db.transaction(async (tx) => {
    if (!(await findContact(tx, actor.accountId, contactId, { forUpdate: true }))) throw new NotFoundError("contact");
    const before = await contactAvatar(tx, actor.accountId, contactId);
    if (before && (before.avatarKey !== null || before.avatarUrl !== null)) {
      await setContactAvatarColumns(tx, actor.accountId, contactId, { key: null, url: null });
      if (before.avatarKey) await deleteAvatarRow(tx, actor.accountId, before.avatarKey);
      await recordChanges(tx, actor.accountId, [
        {
          contactId,
          action: "avatar.changed",
          actorId: actor.userId,
          details: { changes: { avatar_url: { from: before.avatarUrl, to: null } } },
        },
      ]);
    }
    return {
      contact: (await findContact(tx, actor.accountId, contactId)) as Contact,
      removedKey: before?.avatarKey ?? null,
    };
  });
  if (removedKey) await deleteBlobs(deps.blobs, [avatarBlobKey(removedKey)]);
  return contact;
}
