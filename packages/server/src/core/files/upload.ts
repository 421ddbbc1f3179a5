import { newBlobKey } from "../../store/blobs.js";
import { contactExists, insertFile, lockContactForChild } from "../../store/files.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { keepIfWritten, stageUpload } from "./blobs.js";
import type { ContactFile, IncomingFile } from "./file.js";
import { sanitizeFileName } from "./sanitize.js";
import { sniffContentType } from "./sniff.js";

/**
 * Attaches a file to a contact: the bytes are staged (hashed, size-limited), then the row, its
 * history entry and the bytes' final place are written together, or none of them is.
 */
export async function uploadFile(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  incoming: IncomingFile,
): Promise<ContactFile> {
  // Refuse before receiving any bytes when the contact is not there at all.
  if (!(await contactExists(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  const staged = await stageUpload(deps.blobs, incoming.stream, deps.settings.maxFileBytes);
  const name = sanitizeFileName(incoming.filename);
  const contentType = sniffContentType(staged.head, staged.size);
  const storageKey = newBlobKey("files");
  return keepIfWritten(deps.blobs, staged, storageKey, (commitBytes) =>
    deps.db.transaction(async (tx) => {
      // The contact may have been deleted while the bytes were arriving.
      if (!(await lockContactForChild(tx, actor.accountId, contactId))) throw new NotFoundError("contact");
      const file = await insertFile(tx, actor.accountId, {
        contactId,
        name,
        contentType,
        size: staged.size,
        sha256: staged.sha256,
        storageKey,
        uploadedBy: actor.userId,
      });
      await recordChanges(tx, actor.accountId, [
        {
          contactId,
          action: "file.added",
          actorId: actor.userId,
          details: { file_id: String(file.id), name, content_type: contentType, size: staged.size },
        },
      ]);
      await commitBytes();
      return file;
    }),
  );
}
