import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** Notified on commit when an import is queued, to wake the workers. */
export const IMPORTS_CHANNEL = "contactd_imports";

export type ImportStatus = "queued" | "running" | "succeeded" | "failed";

export interface ImportRow {
  account_id: number;
  id: number;
  user_id: number | null;
  status: ImportStatus;
  dry_run: boolean;
  options: Record<string, unknown>;
  blob_key: string;
  file_name: string;
  byte_size: number;
  header: string[] | null;
  total_rows: number;
  processed_rows: number;
  created_count: number;
  updated_count: number;
  skipped_count: number;
  failed_count: number;
  last_row: number;
  error_code: string | null;
  error: string | null;
  locked_until: Date | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const IMPORT = sql.raw(`account_id, id, user_id, status, dry_run, options, blob_key, file_name, byte_size, header,
  total_rows, processed_rows, created_count, updated_count, skipped_count, failed_count, last_row, error_code,
  error, locked_until, attempts, created_at, started_at, finished_at`);

export interface NewImport {
  userId: number;
  dryRun: boolean;
  options: Record<string, unknown>;
  blobKey: string;
  fileName: string;
  byteSize: number;
}

export async function insertImport(db: Queryable, accountId: number, job: NewImport): Promise<ImportRow> {
  const [row] = await db.query<ImportRow>(sql`
    INSERT INTO imports (account_id, user_id, dry_run, options, blob_key, file_name, byte_size)
    VALUES (${accountId}, ${job.userId}, ${job.dryRun}, ${sql.json(job.options)}, ${job.blobKey}, ${job.fileName},
      ${job.byteSize})
    RETURNING ${IMPORT}`);
  await db.query(sql`SELECT pg_notify(${IMPORTS_CHANNEL}, '')`);
  return row as ImportRow;
}

export async function findImport(db: Queryable, accountId: number, id: number): Promise<ImportRow | undefined> {
  const [row] = await db.query<ImportRow>(
    sql`SELECT ${IMPORT} FROM imports WHERE account_id = ${accountId} AND id = ${id}`,
  );
  return row;
}

export async function listImports(
  db: Queryable,
  accountId: number,
  page: { limit: number; skip: number },
): Promise<ImportRow[]> {
  return db.query<ImportRow>(sql`
    SELECT ${IMPORT} FROM imports WHERE account_id = ${accountId}
    ORDER BY id DESC LIMIT ${page.limit} OFFSET ${page.skip}`);
}

/**
 * Claims the oldest queued import, or a running one whose worker's lease ran out, for `leaseMs`.
 * The claim bumps `attempts`, which fences off the previous holder's later writes.
 */
export async function claimImport(db: Queryable, leaseMs: number, accountId?: number): Promise<ImportRow | undefined> {
  const ofAccount = accountId === undefined ? sql.empty : sql` AND account_id = ${accountId}`;
  const [row] = await db.query<ImportRow>(
    sql`
    WITH next AS (
      SELECT account_id, id FROM imports
      WHERE (status = 'queued' OR (status = 'running' AND (locked_until IS NULL OR locked_until <= now())))${ofAccount}
      ORDER BY created_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    UPDATE imports i SET status = 'running', attempts = i.attempts + 1,
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision),
      started_at = coalesce(i.started_at, now())
    FROM next WHERE i.account_id = next.account_id AND i.id = next.id
    RETURNING i.*`.prepared(),
  );
  return row;
}

/** A claimed job, as the worker names it in guarded writes. */
export interface ClaimedImport {
  account_id: number;
  id: number;
  attempts: number;
}

const owned = (job: ClaimedImport) =>
  sql`account_id = ${job.account_id} AND id = ${job.id} AND attempts = ${job.attempts} AND status = 'running'`;

export async function recordImportScan(
  db: Queryable,
  job: ClaimedImport,
  scan: { header: string[]; totalRows: number },
): Promise<boolean> {
  const changed = await db.execute(sql`
    UPDATE imports SET header = ${sql.json(scan.header)}, total_rows = ${scan.totalRows} WHERE ${owned(job)}`);
  return changed > 0;
}

export interface BatchCounts {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
}

/**
 * Lets an import batch's transaction commit without waiting for its log to reach disk. The batch
 * and its checkpoint commit together, so a database crash that loses the last batches loses their
 * checkpoint too, and the resumed import writes them again; the import's outcome is committed
 * normally, which flushes every batch before it. Saves a disk flush per batch.
 */
export async function commitBatchWithoutFlush(tx: Queryable): Promise<void> {
  await tx.exec("SET LOCAL synchronous_commit = off");
}

/** Moves the checkpoint past a batch and renews the lease; false when the job is no longer ours. */
export async function checkpointImport(
  db: Queryable,
  job: ClaimedImport,
  lastRow: number,
  counts: BatchCounts,
  leaseMs: number,
): Promise<boolean> {
  const processed = counts.created + counts.updated + counts.skipped + counts.failed;
  const changed = await db.execute(sql`
    UPDATE imports SET last_row = ${lastRow}, processed_rows = processed_rows + ${processed},
      created_count = created_count + ${counts.created}, updated_count = updated_count + ${counts.updated},
      skipped_count = skipped_count + ${counts.skipped}, failed_count = failed_count + ${counts.failed},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision)
    WHERE ${owned(job)}`);
  return changed > 0;
}

/** Extends the lease of a job still ours; false when it is not. */
export async function renewImportLease(db: Queryable, job: ClaimedImport, leaseMs: number): Promise<boolean> {
  const changed = await db.execute(sql`
    UPDATE imports SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision)
    WHERE ${owned(job)}`);
  return changed > 0;
}

/** Gives a running job up for any worker to claim after `afterMs` (its checkpoint stays). */
export async function releaseImport(db: Queryable, job: ClaimedImport, afterMs: number): Promise<void> {
  await db.execute(sql`
    UPDATE imports SET locked_until = now() + make_interval(secs => ${afterMs / 1000}::double precision)
    WHERE ${owned(job)}`);
}

export async function finishImport(
  db: Queryable,
  job: ClaimedImport,
  outcome: { status: "succeeded" | "failed"; errorCode: string | null; error: string | null },
): Promise<ImportRow | undefined> {
  const [row] = await db.query<ImportRow>(sql`
    UPDATE imports SET status = ${outcome.status}, error_code = ${outcome.errorCode}, error = ${outcome.error},
      finished_at = now(), locked_until = NULL
    WHERE ${owned(job)}
    RETURNING ${IMPORT}`);
  if (row)
    await db.execute(sql`DELETE FROM import_keys WHERE account_id = ${job.account_id} AND import_id = ${job.id}`);
  return row;
}

export interface ImportRowReport {
  row: number;
  result: "skipped" | "failed";
  reason: string;
  message: string;
  cells: string[];
}

export async function insertImportRows(
  db: Queryable,
  accountId: number,
  importId: number,
  rows: ImportRowReport[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(
    sql`
    INSERT INTO import_rows (account_id, import_id, row_number, result, reason, message, cells)
    SELECT ${accountId}, ${importId}, r.row_number, r.result, r.reason, r.message, r.cells
    FROM jsonb_to_recordset(${sql.json(
      rows.map((row) => ({
        row_number: row.row,
        result: row.result,
        reason: row.reason,
        message: row.message,
        cells: row.cells,
      })),
    )}) AS r(row_number integer, result text, reason text, message text, cells jsonb)`.prepared(),
  );
}

export async function importRowsAfter(
  db: Queryable,
  accountId: number,
  importId: number,
  afterRow: number,
  limit: number,
): Promise<ImportRowReport[]> {
  const rows = await db.query<{
    row_number: number;
    result: "skipped" | "failed";
    reason: string;
    message: string;
    cells: string[];
  }>(sql`
    SELECT row_number, result, reason, message, cells FROM import_rows
    WHERE account_id = ${accountId} AND import_id = ${importId} AND row_number > ${afterRow}
    ORDER BY row_number LIMIT ${limit}`);
  return rows.map((r) => ({
    row: r.row_number,
    result: r.result,
    reason: r.reason,
    message: r.message,
    cells: r.cells,
  }));
}

export interface ImportKey {
  kind: string;
  value: string;
  row: number;
}

export async function insertImportKeys(
  db: Queryable,
  accountId: number,
  importId: number,
  keys: ImportKey[],
): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(
    sql`
    INSERT INTO import_keys (account_id, import_id, kind, value, row_number)
    SELECT ${accountId}, ${importId}, k.kind, k.value, k.row_number
    FROM unnest(${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.value)}::text[],
      ${keys.map((k) => k.row)}::integer[]) AS k(kind, value, row_number)
    ON CONFLICT DO NOTHING`.prepared(),
  );
}

/** Which of the given keys earlier batches of the import already took, and on which row. */
export async function findImportKeys(
  db: Queryable,
  accountId: number,
  importId: number,
  keys: Array<{ kind: string; value: string }>,
): Promise<ImportKey[]> {
  if (keys.length === 0) return [];
  // One primary-key probe per key, whatever the table's statistics say: without them (a new
  // import, or no ANALYZE yet) a join was planned as a scan of every key the import had taken.
  const rows = await db.query<{ kind: string; value: string; row_number: number }>(
    sql`
    SELECT q.kind, q.value, k.row_number
    FROM unnest(${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.value)}::text[]) AS q(kind, value)
    CROSS JOIN LATERAL (
      SELECT k.row_number FROM import_keys k
      WHERE k.account_id = ${accountId} AND k.import_id = ${importId} AND k.kind = q.kind
        AND k.value = q.value COLLATE "C"
    ) k`.prepared(),
  );
  return rows.map((r) => ({ kind: r.kind, value: r.value, row: r.row_number }));
}

/**
 * Which of the given contacts the import created, and from which row: read from their creation's
 * history entry, which the import writes with its id and the row's number.
 */
export async function contactsCreatedByImport(
  db: Queryable,
  accountId: number,
  importId: number,
  contactIds: number[],
): Promise<Map<number, number>> {
  if (contactIds.length === 0) return new Map();
  const rows = await db.query<{ contact_id: number; row_number: number }>(
    sql`
    SELECT contact_id, (details->>'import_row')::integer AS row_number FROM activities
    WHERE account_id = ${accountId} AND contact_id = ANY(${contactIds}::bigint[])
      AND action = 'contact.created' AND details->>'import_id' = ${String(importId)}::text`.prepared(),
  );
  return new Map(rows.map((row) => [Number(row.contact_id), row.row_number]));
}

/** Fresh planner statistics for the tables an import's lookups read (a sample, not a scan). */
export async function analyzeImportTables(db: Queryable): Promise<void> {
  await db.exec("ANALYZE import_keys");
  await db.exec("ANALYZE contacts");
}

/** The contacts the planner's statistics count (0 before the first ANALYZE). */
export async function plannedContactRows(db: Queryable): Promise<number> {
  const [row] = await db.query<{ rows: number }>(
    sql`SELECT greatest(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = 'contacts'::regclass`,
  );
  return row?.rows ?? 0;
}
