import { unreferencedBlobKeys } from "../../store/blob-references.js";
import type { CoreDeps } from "../deps.js";
import { deleteBlobs } from "../files/blobs.js";
import { purgeExpiredIdempotencyKeys } from "../idempotency/replay.js";

/**
 * How old leftovers must be before they are removed. Bytes get their row within seconds of being
 * written (an upload's request, an export's last step), so an hour leaves any process still
 * working on them alone, whichever process (or machine) it is.
 */
export const LEFTOVER_AFTER_MS = 60 * 60 * 1000;

/** Where the blob store keeps bytes that rows name. */
const BLOB_PREFIXES = ["files", "avatars", "exports", "imports"] as const;
const CHECK_KEYS = 500;

export interface SweepReport {
  /** Uploads received but never kept: their request's process died. */
  stagedUploads: number;
  /** Bytes no row names: their row's transaction never committed, or their delete never ran. */
  orphanBlobs: number;
  /** Idempotency-Keys past the 24 hours their answer is replayed for. */
  expiredIdempotencyKeys: number;
}

/** Removes what crashes and time leave behind; safe to run in every process at once. */
export async function sweepLeftovers(deps: CoreDeps, now = new Date()): Promise<SweepReport> {
  const before = new Date(now.getTime() - LEFTOVER_AFTER_MS);
  const stagedUploads = await deps.blobs.sweepStaged(before);
  let orphanBlobs = 0;
  for (const prefix of BLOB_PREFIXES) {
    let keys: string[] = [];
    const check = async () => {
      const unreferenced = await unreferencedBlobKeys(deps.db, keys);
      await deleteBlobs(deps.blobs, unreferenced);
      orphanBlobs += unreferenced.length;
      keys = [];
    };
    for await (const key of deps.blobs.keysWrittenBefore(prefix, before)) {
      keys.push(key);
      if (keys.length >= CHECK_KEYS) await check();
    }
    await check();
  }
  const expiredIdempotencyKeys = await purgeExpiredIdempotencyKeys(deps);
  return { stagedUploads, orphanBlobs, expiredIdempotencyKeys };
}
