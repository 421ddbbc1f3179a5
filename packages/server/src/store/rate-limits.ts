import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface WindowKey {
  accountId: number;
  credentialId: number;
  windowStart: Date;
}

/**
 * Takes up to `wanted` more requests of a window whose limit is `limit`, atomically over every
 * process: `granted` is how many it got (0 once the window is used up), `leased` how many all
 * processes have taken of it now.
 */
export async function leaseRequests(
  db: Queryable,
  key: WindowKey,
  wanted: number,
  limit: number,
): Promise<{ granted: number; leased: number }> {
  const [row] = await db.query<{ granted: number; leased: number }>(
    sql`
    INSERT INTO rate_limit_windows AS w (account_id, credential_id, window_start, requests, last_grant)
    VALUES (${key.accountId}, ${key.credentialId}, ${key.windowStart.toISOString()}::timestamptz,
      LEAST(${wanted}::integer, ${limit}::integer), LEAST(${wanted}::integer, ${limit}::integer))
    ON CONFLICT (account_id, credential_id, window_start) DO UPDATE
      SET last_grant = GREATEST(0, LEAST(${wanted}::integer, ${limit}::integer - w.requests)),
        requests = w.requests + GREATEST(0, LEAST(${wanted}::integer, ${limit}::integer - w.requests))
    RETURNING last_grant AS granted, requests AS leased`.prepared(),
  );
  return row as { granted: number; leased: number };
}

export async function deleteWindowsBefore(db: Queryable, before: Date): Promise<void> {
  await db.execute(sql`DELETE FROM rate_limit_windows WHERE window_start < ${before.toISOString()}::timestamptz`);
}
