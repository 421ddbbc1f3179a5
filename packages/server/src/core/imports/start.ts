import { newBlobKey } from "../../store/blobs.js";
import { insertImport } from "../../store/imports.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { ValidationError } from "../errors.js";
import { keepIfWritten, stageUpload } from "../files/blobs.js";
import type { IncomingFile } from "../files/file.js";
import { sanitizeFileName } from "../files/sanitize.js";
import { type ContactImport, toImport } from "./import.js";
import { parseImportOptions } from "./options.js";

/**
 * An import request: the file, and the form fields, which may arrive before or after it (so they
 * are read once the file is in).
 */
export interface ImportUpload {
  file: IncomingFile;
  fields: () => Promise<Record<string, string>>;
}

/**
 * Queues a CSV import: the file is streamed to the blob store (size-limited, never held in
 * memory), then the job row and the bytes' final place are written together. Agents and
 * administrators may import; the worker does the rest.
 */
export async function startImport(deps: CoreDeps, actor: Actor, upload: ImportUpload): Promise<ContactImport> {
  const staged = await stageUpload(deps.blobs, upload.file.stream, deps.settings.maxImportBytes);
  const key = newBlobKey("imports");
  return keepIfWritten(deps.blobs, staged, key, async (commitBytes) => {
    const options = parseImportOptions(await upload.fields());
    if (staged.size === 0) {
      throw new ValidationError([
        { field: "file", code: "empty_file", message: "is empty: send a CSV file with a header row" },
      ]);
    }
    const { dryRun, ...kept } = options;
    return deps.db.transaction(async (tx) => {
      const row = await insertImport(tx, actor.accountId, {
        userId: actor.userId,
        dryRun,
        options: kept,
        blobKey: key,
        fileName: sanitizeFileName(upload.file.filename),
        byteSize: staged.size,
      });
      await commitBytes();
      return toImport(row);
    });
  });
}
