import { contactAvatar, deleteAvatarRow, insertAvatar, setContactAvatarColumns } from "../../store/avatars.js";
import { findContact } from "../../store/contacts.js";
import { contactExists } from "../../store/files.js";
import type { Actor } from "../actor.js";
import type { Contact } from "../contacts/contact.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { deleteBlobs, keepIfWritten } from "../files/blobs.js";
import type { IncomingFile } from "../files/file.js";
import { avatarBlobKey, avatarPath, newAvatarKey, stageImage } from "./avatar.js";

/**
 * Gives a contact an uploaded avatar. The contact's avatar_url becomes /avatars/<key>; an avatar
 * uploaded before is replaced, and its bytes are removed once the change is committed.
 */
export async function setContactAvatar(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  incoming: IncomingFile,
): Promise<Contact> {
  if (!(await contactExists(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  const { staged, contentType } = await stageImage(deps.blobs, incoming.stream, deps.settings.maxAvatarBytes);
  const key = newAvatarKey();
  const path = avatarPath(key);
  const { contact, replacedKey } = await keepIfWritten(deps.blobs, staged, avatarBlobKey(key), (commitBytes) =>
    deps.db.transaction(async (tx) => {
      // Locked, so two concurrent uploads cannot both see (and leave behind) the same old avatar.
      if (!(await findContact(tx, actor.accountId, contactId, { forUpdate: true }))) {
        throw new NotFoundError("contact");
      }
      const before = await contactAvatar(tx, actor.accountId, contactId);
      await insertAvatar(tx, actor.accountId, { key, contentType, size: staged.size, sha256: staged.sha256 });
      await setContactAvatarColumns(tx, actor.accountId, contactId, { key, url: path });
      if (before?.avatarKey) await deleteAvatarRow(tx, actor.accountId, before.avatarKey);
      await recordChanges(tx, actor.accountId, [
        {
          contactId,
          action: "avatar.changed",
          actorId: actor.userId,
          details: {
            changes: { avatar_url: { from: before?.avatarUrl ?? null, to: path } },
            content_type: contentType,
            size: staged.size,
          },
        },
      ]);
      await commitBytes();
      return {
        contact: (await findContact(tx, actor.accountId, contactId)) as Contact,
        replacedKey: before?.avatarKey ?? null,
      };
    }),
  );
  if (replacedKey) await deleteBlobs(deps.blobs, [avatarBlobKey(replacedKey)]);
  return contact;
}
