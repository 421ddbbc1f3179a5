import {
  analyzeImportTables,
  claimImport,
  finishImport,
  type ImportRow,
  plannedContactRows,
  recordImportScan,
  releaseImport,
  renewImportLease,
} from "../../store/imports.js";
import type { CoreDeps } from "../deps.js";
import { recordEvents } from "../events/record.js";
import { type PreparedBatch, prepareBatch, writeBatch } from "./batch.js";
import { type ColumnMap, mapColumns } from "./columns.js";
import { CsvError, type CsvRecord, csvRecords } from "./csv-parse.js";
import { ImportFailure } from "./failure.js";
import { type BatchInFlight, type BatchStages, handledLater, startBatch } from "./in-flight.js";
import { LEASE_MS, LeaseLost } from "./lease.js";
import type { ImportOptions } from "./options.js";

const BATCH_ROWS = 500;
/**
 * Batches in flight at once where transactions can run side by side, each on a connection of its
 * own. On two cores three kept the machine busiest: at 200k rows, 30-34 s against 33-38 s with two;
 * four did no better.
 */
const BATCHES_IN_FLIGHT = 3;
/**
 * Table statistics are refreshed once an import has written this many rows and half as many as
 * the statistics already count, and again each time its rows double: the per-batch lookups are
 * planned from them, and without them (a new import's keys, a table growing from empty) the
 * planner reads every key or contact so far for each batch, which made an import's time grow with
 * the square of its size. Rows added to a table the statistics already know as large do not
 * change those plans, so an import into it skips the ANALYZEs (each one samples the table).
 */
const FIRST_ANALYZE_ROWS = 2_000;
const HEARTBEAT_MS = LEASE_MS / 4;
/** After an unexpected error the job is tried again this soon (by any worker), not a lease later. */
const RETRY_AFTER_ERROR_MS = 5_000;
/** Claims before an import that keeps crashing its worker is given up. */
const MAX_ATTEMPTS = 5;

export interface RunOptions {
  /** Only this account's imports (a tool importing for one account); default every account's. */
  accountId?: number;
  batchRows?: number;
  /** Stops (as a crash would, leaving the job claimed) after this many batches: for tests. */
  stopAfterBatches?: number;
  /** When it is aborted (a server shutting down), the running import stops after its current batch and is handed on at once. */
  signal?: AbortSignal;
}

/**
 * Runs due imports one after another until none is left (or a test stop is reached); returns how
 * many it worked on. Several processes may run this at once: each claims a different job.
 */
export async function runDueImports(deps: CoreDeps, options: RunOptions = {}): Promise<number> {
  let ran = 0;
  for (;;) {
    if (options.signal?.aborted) return ran;
    const job = await claimImport(deps.db, LEASE_MS, options.accountId);
    if (!job) return ran;
    ran++;
    const heartbeat = setInterval(() => {
      renewImportLease(deps.db, job, LEASE_MS).catch(() => {});
    }, HEARTBEAT_MS);
    try {
      if ((await runImport(deps, job, options)) === "stopped") return ran;
    } finally {
      clearInterval(heartbeat);
    }
  }
}

async function runImport(deps: CoreDeps, job: ImportRow, options: RunOptions): Promise<"done" | "stopped"> {
  try {
    if (job.attempts > MAX_ATTEMPTS) {
      throw new ImportFailure("too_many_attempts", `Gave up after ${MAX_ATTEMPTS} attempts to run this import`);
    }
    const importOptions = { ...(job.options as Omit<ImportOptions, "dryRun">), dryRun: job.dry_run };
    // A first pass over the whole file: a file that cannot be read fails before any row is written.
    const scan = await scanFile(deps, job);
    if (!(await recordImportScan(deps.db, job, scan))) throw new LeaseLost();
    const columns = mapColumns(scan.header, importOptions);
    if (scan.totalRows === 0) throw new ImportFailure("no_rows", "The file has a header row but no data rows");
    if ((await processRows(deps, job, columns, importOptions, options)) === "stopped") return "stopped";
    await finish(deps, job, null);
  } catch (error) {
    if (error instanceof LeaseLost) return "done";
    if (error instanceof ImportFailure) await finish(deps, job, error);
    else if (error instanceof CsvError) await finish(deps, job, new ImportFailure(error.code, error.message));
    else {
      // Unexpected (the database went away, a bug): counted as an attempt and tried again soon.
      await releaseImport(deps.db, job, RETRY_AFTER_ERROR_MS).catch(() => {});
      throw error;
    }
  }
  return "done";
}

async function openFile(deps: CoreDeps, job: ImportRow): Promise<AsyncIterable<Buffer>> {
  const stream = await deps.blobs.read(job.blob_key);
  if (!stream) throw new ImportFailure("file_missing", "The uploaded file is no longer stored");
  return stream;
}

async function scanFile(deps: CoreDeps, job: ImportRow): Promise<{ header: string[]; totalRows: number }> {
  let header: string[] | null = null;
  let totalRows = 0;
  for await (const record of csvRecords(await openFile(deps, job))) {
    if (header === null) header = record.cells;
    else if (!isBlank(record)) totalRows++;
  }
  if (header === null || header.every((cell) => cell.trim() === "")) {
    throw new ImportFailure("no_header", "The file has no header row");
  }
  return { header, totalRows };
}

function isBlank(record: CsvRecord): boolean {
  return record.cells.length === 1 && (record.cells[0] as string).trim() === "";
}

/**
 * Writes the rows after the checkpoint batch by batch, each batch in a transaction of its own,
 * committed in file order. The next batch is read and validated while the last is written; where
 * transactions can run side by side, it is also matched and written then (in-flight.ts), so the
 * server's work on one batch and the database's on the ones before overlap.
 */
async function processRows(
  deps: CoreDeps,
  job: ImportRow,
  columns: ColumnMap,
  importOptions: ImportOptions,
  options: RunOptions,
): Promise<"done" | "stopped"> {
  const size = options.batchRows ?? BATCH_ROWS;
  const depth = deps.db.concurrentTransactions ? BATCHES_IN_FLIGHT : 1;
  let batches = 0;
  let written = 0;
  let analyzeAt = Math.max(FIRST_ANALYZE_ROWS, (await plannedContactRows(deps.db)) / 2);
  // Runs beside the batches (at 1M contacts an ANALYZE takes seconds), one at a time.
  let analyzing: Promise<void> = Promise.resolve();
  /** After a batch committed; true when the import must stop after it (aborted, or a test's stop). */
  const afterCommit = async (prepared: PreparedBatch): Promise<boolean> => {
    written += prepared.size;
    batches++;
    if (written >= analyzeAt) {
      await analyzing;
      analyzing = handledLater(analyzeImportTables(deps.db));
      analyzeAt *= 2;
    }
    if (options.signal?.aborted) {
      await releaseImport(deps.db, job, 0);
      return true;
    }
    return options.stopAfterBatches !== undefined && batches >= options.stopAfterBatches;
  };
  const inFlight: BatchInFlight[] = [];
  /** Waits for the oldest batch in flight; true when the import stops after it. */
  const settleOldest = async (): Promise<boolean> => (inFlight.shift() as BatchInFlight).done;
  const submit = async (records: CsvRecord[]): Promise<boolean> => {
    const prepared = prepareBatch(deps, columns, records);
    while (inFlight.length >= depth) if (await settleOldest()) return true;
    const write = (stages: BatchStages) => writeBatch(deps, job, importOptions, prepared, stages);
    inFlight.push(startBatch(inFlight.at(-1) ?? null, write, () => afterCommit(prepared)));
    return false;
  };
  let batch: CsvRecord[] = [];
  try {
    for await (const record of csvRecords(await openFile(deps, job))) {
      // Rows up to the checkpoint were committed by an earlier run.
      if (record.row <= job.last_row || isBlank(record)) continue;
      batch.push(record);
      if (batch.length >= size) {
        const full = batch;
        batch = [];
        if (await submit(full)) return "stopped";
      }
    }
    if (batch.length > 0 && (await submit(batch))) return "stopped";
    while (inFlight.length > 0) if (await settleOldest()) return "stopped";
    await analyzing;
    return "done";
  } finally {
    // Whatever ends the loop, no batch is left writing behind it (one after a stop rolls back).
    await Promise.allSettled([...inFlight.map((pending) => pending.done), analyzing]);
  }
}

async function finish(deps: CoreDeps, job: ImportRow, failure: ImportFailure | null): Promise<void> {
  const finished = await deps.db.transaction(async (tx) => {
    const row = await finishImport(tx, job, {
      status: failure ? "failed" : "succeeded",
      errorCode: failure?.code ?? null,
      error: failure?.message ?? null,
    });
    if (!row) return null;
    await recordEvents(tx, job.account_id, [
      {
        type: "import.finished",
        actorId: job.user_id,
        contactId: null,
        data: {
          import_id: String(job.id),
          status: row.status,
          dry_run: row.dry_run,
          total: row.total_rows,
          created: row.created_count,
          updated: row.updated_count,
          skipped: row.skipped_count,
          failed: row.failed_count,
          error: failure ? { code: failure.code, message: failure.message } : null,
        },
      },
    ]);
    return row;
  });
  // The report keeps what is needed of the file (the failed rows' cells); the bytes can go.
  if (finished) await deps.blobs.delete(job.blob_key).catch(() => {});
}
