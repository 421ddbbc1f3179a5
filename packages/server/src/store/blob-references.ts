import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/**
 * Of these blob keys, the ones no row needs any more: no file, avatar or export names them, and
 * no unfinished import reads them (a finished import keeps its report, not its file). Across all
 * accounts: the blob store is shared, and this is housekeeping, never a request's answer.
 */
export async function unreferencedBlobKeys(db: Queryable, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await db.query<{ key: string }>(sql`
    SELECT k AS key FROM unnest(${keys}::text[]) AS k
    WHERE NOT EXISTS (SELECT 1 FROM files WHERE storage_key = k)
      AND NOT EXISTS (SELECT 1 FROM avatars WHERE k LIKE 'avatars/%' AND key = split_part(k, '/', 3))
      AND NOT EXISTS (SELECT 1 FROM export_jobs WHERE blob_key = k)
      AND NOT EXISTS (SELECT 1 FROM imports WHERE blob_key = k AND status IN ('queued', 'running'))`);
  return rows.map((row) => row.key);
}
