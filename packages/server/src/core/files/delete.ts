import { deleteFileRow, findFile, lockContactForChild } from "../../store/files.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { ForbiddenError, NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { deleteBlobs } from "./blobs.js";

/**
 * Deletes a file: its uploader or an administrator may. The row goes first (with its history
 * entry); the bytes only once that is committed, so a failed delete leaves the file whole.
 */
export async function deleteFile(deps: CoreDeps, actor: Actor, contactId: number, fileId: number): Promise<void> {
  const storageKey = await deps.db.transaction(async (tx) => {
    // Contact before file, the order a contact delete locks in, so the two cannot deadlock.
    if (!(await lockContactForChild(tx, actor.accountId, contactId))) throw new NotFoundError("contact");
    const file = await findFile(tx, actor.accountId, contactId, fileId, { forUpdate: true });
    if (!file) throw new NotFoundError("file");
    if (actor.role !== "administrator" && file.uploadedBy !== actor.userId) {
      throw new ForbiddenError("Only the file's uploader or an administrator may delete it");
    }
    await deleteFileRow(tx, actor.accountId, file.id);
    await recordChanges(tx, actor.accountId, [
      {
        contactId,
        action: "file.deleted",
        actorId: actor.userId,
        details: { file_id: String(file.id), name: file.name, content_type: file.contentType, size: file.size },
      },
    ]);
    return file.storageKey;
  });
  await deleteBlobs(deps.blobs, [storageKey]);
}
