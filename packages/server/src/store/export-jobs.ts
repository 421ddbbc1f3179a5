import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** Notified when an export is queued, so a worker in any process starts it at once. */
export const EXPORTS_CHANNEL = "contactd_exports";

export interface ExportJobRow {
  account_id: number;
  id: number;
  user_id: number;
  status: "queued" | "running" | "succeeded" | "failed";
  options: Record<string, unknown>;
  blob_key: string | null;
  byte_size: number | null;
  error: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = sql.raw(
  "account_id, id, user_id, status, options, blob_key, byte_size, error, attempts, created_at, started_at, finished_at",
);

export async function insertExportJob(
  db: Queryable,
  accountId: number,
  userId: number,
  options: Record<string, unknown>,
): Promise<ExportJobRow> {
  const [row] = await db.query<ExportJobRow>(sql`
    INSERT INTO export_jobs (account_id, user_id, options) VALUES (${accountId}, ${userId}, ${sql.json(options)})
    RETURNING ${COLUMNS}`);
  await db.query(sql`SELECT pg_notify(${EXPORTS_CHANNEL}, '')`);
  return row as ExportJobRow;
}

/** One job of the account; `userId` limits it to that user's own jobs. */
export async function findExportJob(
  db: Queryable,
  accountId: number,
  id: number,
  userId: number | null,
): Promise<ExportJobRow | undefined> {
  const mine = userId === null ? sql.empty : sql` AND user_id = ${userId}`;
  const [row] = await db.query<ExportJobRow>(
    sql`SELECT ${COLUMNS} FROM export_jobs WHERE account_id = ${accountId} AND id = ${id}${mine}`,
  );
  return row;
}

export async function listExportJobs(
  db: Queryable,
  accountId: number,
  userId: number | null,
  page: { limit: number; skip: number },
): Promise<ExportJobRow[]> {
  const mine = userId === null ? sql.empty : sql` AND user_id = ${userId}`;
  return db.query<ExportJobRow>(sql`
    SELECT ${COLUMNS} FROM export_jobs WHERE account_id = ${accountId}${mine}
    ORDER BY id DESC LIMIT ${page.limit} OFFSET ${page.skip}`);
}

/** The oldest queued job, or a running one whose worker's lease ran out; taken with a new lease. */
export async function claimExportJob(
  db: Queryable,
  leaseMs: number,
  accountId?: number,
): Promise<ExportJobRow | undefined> {
  const ofAccount = accountId === undefined ? sql.empty : sql` AND account_id = ${accountId}`;
  const [row] = await db.query<ExportJobRow>(
    sql`
    WITH next AS (
      SELECT account_id, id FROM export_jobs
      WHERE (status = 'queued' OR (status = 'running' AND (locked_until IS NULL OR locked_until <= now())))${ofAccount}
      ORDER BY created_at, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    UPDATE export_jobs j SET status = 'running', attempts = j.attempts + 1,
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision),
      started_at = coalesce(j.started_at, now())
    FROM next WHERE j.account_id = next.account_id AND j.id = next.id
    RETURNING ${sql.raw(
      "j.account_id, j.id, j.user_id, j.status, j.options, j.blob_key, j.byte_size, j.error, j.attempts, j.created_at, j.started_at, j.finished_at",
    )}`.prepared(),
  );
  return row;
}

/** Extends the lease of a job this worker still holds (same attempt). */
export async function renewExportLease(
  db: Queryable,
  job: { account_id: number; id: number; attempts: number },
  leaseMs: number,
): Promise<void> {
  await db.execute(sql`
    UPDATE export_jobs SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision)
    WHERE account_id = ${job.account_id} AND id = ${job.id} AND attempts = ${job.attempts} AND status = 'running'`);
}

/** Ends a job this worker holds (same attempt); returns false when the lease was lost meanwhile. */
export async function finishExportJob(
  db: Queryable,
  job: { account_id: number; id: number; attempts: number },
  outcome: { status: "succeeded"; blobKey: string; byteSize: number } | { status: "failed"; error: string },
): Promise<boolean> {
  const succeeded = outcome.status === "succeeded";
  const changed = await db.execute(sql`
    UPDATE export_jobs SET status = ${outcome.status}, locked_until = NULL, finished_at = now(),
      blob_key = ${succeeded ? outcome.blobKey : null}, byte_size = ${succeeded ? outcome.byteSize : null}::bigint,
      error = ${succeeded ? null : outcome.error}
    WHERE account_id = ${job.account_id} AND id = ${job.id} AND attempts = ${job.attempts} AND status = 'running'`);
  return changed > 0;
}
