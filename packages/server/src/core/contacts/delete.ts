import { contactAvatar, deleteAvatarRow } from "../../store/avatars.js";
import { deleteContact as deleteContactRow, findContact } from "../../store/contacts.js";
import { fileStorageKeysOfContact } from "../../store/files.js";
import { listFollowers } from "../../store/followers.js";
import { type Actor, requireAdministrator } from "../actor.js";
import { avatarBlobKey } from "../avatars/avatar.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { recordEvents } from "../events/record.js";
import { deleteBlobs } from "../files/blobs.js";
import { type ExpectedVersions, requireVersion } from "./version.js";

/** Deletes a contact with everything attached to it, including the bytes of its files and avatar. */
export async function deleteContact(
  deps: CoreDeps,
  actor: Actor,
  id: number,
  expected?: ExpectedVersions,
): Promise<void> {
  requireAdministrator(actor);
  const blobKeys = await deps.db.transaction(async (tx) => {
    // Locked first: a file being attached meanwhile either finishes before (and is listed below)
    // or waits and then finds no contact, so no file's bytes can outlive the contact.
    const contact = await findContact(tx, actor.accountId, id, { forUpdate: true });
    if (!contact) throw new NotFoundError("contact");
    requireVersion(contact, expected);
    const keys = await fileStorageKeysOfContact(tx, actor.accountId, id);
    const avatar = await contactAvatar(tx, actor.accountId, id);
    if (avatar?.avatarKey) {
      await deleteAvatarRow(tx, actor.accountId, avatar.avatarKey);
      keys.push(avatarBlobKey(avatar.avatarKey));
    }
    const followers = await listFollowers(tx, actor.accountId, id);
    await deleteContactRow(tx, actor.accountId, id);
    // The row is gone, so the event carries what receivers need to recognise the contact.
    await recordEvents(tx, actor.accountId, [
      {
        type: "contact.deleted",
        actorId: actor.userId,
        contactId: id,
        data: {
          name: contact.name,
          email: contact.email,
          phone_number: contact.phoneNumber,
          identifier: contact.identifier,
          follower_ids: followers.map((follower) => String(follower.user_id)),
        },
      },
    ]);
    return keys;
  });
  await deleteBlobs(deps.blobs, blobKeys);
}
