import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface IdempotencyRow {
  fingerprint: string;
  status_code: number | null;
  response_body: string | null;
  applied: boolean;
  age_seconds: number;
}

/** Claims a key; returns null when this call claimed it, or the row already holding it. */
export async function claimIdempotencyKey(
  db: Queryable,
  accountId: number,
  key: string,
  fingerprint: string,
): Promise<IdempotencyRow | null> {
  const claimed = await db.execute(sql`
    INSERT INTO idempotency_keys (account_id, key, fingerprint) VALUES (${accountId}, ${key}, ${fingerprint})
    ON CONFLICT (account_id, key) DO NOTHING`);
  if (claimed > 0) return null;
  const rows = await db.query<IdempotencyRow>(sql`
    SELECT fingerprint, status_code, response_body, applied_at IS NOT NULL AS applied,
      extract(epoch FROM now() - created_at)::float8 AS age_seconds
    FROM idempotency_keys WHERE account_id = ${accountId} AND key = ${key}`);
  return rows[0] ?? null;
}

/** Takes over a key that expired, or whose holder gave up before writing; false when someone else got there first. */
export async function reclaimIdempotencyKey(
  db: Queryable,
  accountId: number,
  key: string,
  fingerprint: string,
  olderThanSeconds: number,
  expiredAfterSeconds: number,
): Promise<boolean> {
  const changed = await db.execute(sql`
    UPDATE idempotency_keys
    SET fingerprint = ${fingerprint}, status_code = NULL, response_body = NULL, applied_at = NULL, created_at = now()
    WHERE account_id = ${accountId} AND key = ${key}
      AND ((status_code IS NULL AND applied_at IS NULL AND created_at < now() - make_interval(secs => ${olderThanSeconds}))
        OR created_at < now() - make_interval(secs => ${expiredAfterSeconds}))`);
  return changed > 0;
}

/** Shows a claim is still worked on (its request is running), so it does not look abandoned. */
export async function touchIdempotencyKey(db: Queryable, accountId: number, key: string): Promise<void> {
  await db.execute(sql`
    UPDATE idempotency_keys SET created_at = now()
    WHERE account_id = ${accountId} AND key = ${key} AND status_code IS NULL`);
}

/** Marks a key's request as written; run inside the transaction of that write. */
export async function markIdempotencyKeyApplied(tx: Queryable, accountId: number, key: string): Promise<void> {
  await tx.execute(sql`
    UPDATE idempotency_keys SET applied_at = now()
    WHERE account_id = ${accountId} AND key = ${key} AND applied_at IS NULL`);
}

export async function completeIdempotencyKey(
  db: Queryable,
  accountId: number,
  key: string,
  statusCode: number,
  responseBody: string | null,
): Promise<void> {
  await db.execute(sql`
    UPDATE idempotency_keys SET status_code = ${statusCode}, response_body = ${responseBody}
    WHERE account_id = ${accountId} AND key = ${key}`);
}

/** Frees a key whose request failed before writing anything, so a retry runs it. */
export async function releaseIdempotencyKey(db: Queryable, accountId: number, key: string): Promise<void> {
  await db.execute(sql`
    DELETE FROM idempotency_keys
    WHERE account_id = ${accountId} AND key = ${key} AND status_code IS NULL AND applied_at IS NULL`);
}

export async function deleteExpiredIdempotencyKeys(db: Queryable, expiredAfterSeconds: number): Promise<number> {
  return db.execute(sql`
    DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => ${expiredAfterSeconds})`);
}
