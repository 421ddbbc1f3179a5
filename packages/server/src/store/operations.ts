import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** Work waiting for the background workers of every process, over all accounts. */
export interface QueueDepths {
  /** Events not yet turned into notifications and webhook deliveries. */
  events: number;
  /** Webhook deliveries still to be sent (first attempts and retries). */
  webhookDeliveries: number;
  /** Imports queued or running. */
  imports: number;
  /** Background exports queued or running. */
  exports: number;
}

/** Each count reads a partial index of the pending rows (housekeeping, not an account's request). */
export async function queueDepths(db: Queryable): Promise<QueueDepths> {
  const [row] = await db.query<QueueDepths>(sql`
    SELECT
      (SELECT count(*) FROM events WHERE dispatched_at IS NULL)::int AS "events",
      (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::int AS "webhookDeliveries",
      (SELECT count(*) FROM imports WHERE status IN ('queued', 'running'))::int AS "imports",
      (SELECT count(*) FROM export_jobs WHERE status IN ('queued', 'running'))::int AS "exports"`);
  return row as QueueDepths;
}

/** True when the database answers. */
export async function databaseAnswers(db: Queryable): Promise<boolean> {
  try {
    await db.query(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}
