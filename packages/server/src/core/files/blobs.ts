import type { Readable } from "node:stream";
import { type BlobStore, BlobTooLargeError, type StagedBlob } from "../../store/blobs.js";
import { TooLargeError } from "../errors.js";

/** Receives an upload into the blob store's staging area; past `maxBytes` nothing is kept. */
export async function stageUpload(blobs: BlobStore, stream: Readable, maxBytes: number): Promise<StagedBlob> {
  try {
    return await blobs.stage(stream, { maxBytes });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw new TooLargeError("file", maxBytes);
    throw error;
  }
}

/**
 * Keeps staged bytes under `key` only if `write` (the database side, one transaction that ends by
 * calling the commit it is given) succeeds: on any failure the staged or committed bytes are
 * removed, so neither a row without bytes nor bytes without a row are left behind.
 */
export async function keepIfWritten<T>(
  blobs: BlobStore,
  staged: StagedBlob,
  key: string,
  write: (commitBytes: () => Promise<void>) => Promise<T>,
): Promise<T> {
  let committed = false;
  try {
    return await write(async () => {
      committed = true;
      await blobs.commit(staged, key);
    });
  } catch (error) {
    // The transaction failed before the bytes got their key (they are still staged) or after
    // (e.g. COMMIT itself failed): remove them from wherever they are.
    await Promise.allSettled([blobs.discard(staged), committed ? blobs.delete(key) : Promise.resolve()]);
    throw error;
  }
}

/**
 * Removes bytes whose rows are already gone (committed). A failure here cannot undo the delete,
 * so it is swallowed: at worst unreachable bytes stay on disk.
 */
export async function deleteBlobs(blobs: BlobStore, keys: string[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => blobs.delete(key)));
}
