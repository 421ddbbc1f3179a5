import { findFile } from "../../store/files.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import type { FileDownload } from "./file.js";

/** Any member of the account may read a contact's files. */
export async function downloadFile(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  fileId: number,
): Promise<FileDownload> {
  const file = await findFile(deps.db, actor.accountId, contactId, fileId);
  if (!file) throw new NotFoundError("file");
  // Null only when the file was deleted between the two reads.
  const stream = await deps.blobs.read(file.storageKey);
  if (!stream) throw new NotFoundError("file");
  return { file, stream };
}
