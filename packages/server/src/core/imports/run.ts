import type { NewActivity } from "../../store/activities.js";
import {
  insertContactsWithIds,
  linkLabelsByName,
  lockContactsByKeys,
  nextContactIds,
  updateContactsColumns,
} from "../../store/contact-bulk.js";
import { uniqueFieldOf } from "../../store/contacts.js";
import { isPgError, PG_UNIQUE_VIOLATION, type Queryable } from "../../store/database.js";
import {
  analyzeImportTables,
  type BatchCounts,
  checkpointImport,
  claimImport,
  commitBatchWithoutFlush,
  contactsCreatedByImport,
  findImportKeys,
  finishImport,
  type ImportKey,
  type ImportRow,
  type ImportRowReport,
  insertImportKeys,
  insertImportRows,
  plannedContactRows,
  recordImportScan,
  releaseImport,
  renewImportLease,
} from "../../store/imports.js";
import { contactChanges } from "../activities/changes.js";
import type { Contact, ContactColumns } from "../contacts/contact.js";
import {
  type ContactPatch,
  columnsForNewContact,
  columnsForUpdatedContact,
  columnsOf,
  prepareContactPatch,
} from "../contacts/prepare.js";
import type { CoreDeps } from "../deps.js";
import { ValidationError } from "../errors.js";
import { type Audience, audienceOf, recordBulkChanges, recordEvents } from "../events/record.js";
import { type ColumnMap, mapColumns, rowInput } from "./columns.js";
import { CsvError, type CsvRecord, csvRecords } from "./csv-parse.js";
import { ImportFailure } from "./failure.js";
import type { ImportOptions, MatchKey } from "./options.js";

const BATCH_ROWS = 500;
/**
 * Table statistics are refreshed once an import has written this many rows and half as many as
 * the statistics already count, and again each time its rows double: the per-batch lookups are
 * planned from them, and without them (a new import's keys, a table growing from empty) the
 * planner reads every key or contact so far for each batch, which made an import's time grow with
 * the square of its size. Rows added to a table the statistics already know as large do not
 * change those plans, so an import into it skips the ANALYZEs (each one samples the table).
 */
const FIRST_ANALYZE_ROWS = 2_000;
/**
 * Renewed with every batch and by a heartbeat while the job runs (the first pass over a large file
 * writes no batch); a worker that stops renewing it (crashed) hands the job on within a minute.
 */
const LEASE_MS = 60_000;
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

/** The lease ran out and another worker claimed the job: this one's writes must not land. */
class LeaseLost extends Error {}

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
 * transactions can run side by side, it is also matched (looked up and decided) then, so the
 * server's work on one batch overlaps the database's on the one before.
 */
async function processRows(
  deps: CoreDeps,
  job: ImportRow,
  columns: ColumnMap,
  importOptions: ImportOptions,
  options: RunOptions,
): Promise<"done" | "stopped"> {
  const size = options.batchRows ?? BATCH_ROWS;
  const depth = deps.db.concurrentTransactions ? 2 : 1;
  let batches = 0;
  let written = 0;
  let analyzeAt = Math.max(FIRST_ANALYZE_ROWS, (await plannedContactRows(deps.db)) / 2);
  /** After a batch committed; true when the import must stop after it (aborted, or a test's stop). */
  const afterCommit = async (prepared: PreparedBatch): Promise<boolean> => {
    written += prepared.size;
    batches++;
    if (written >= analyzeAt) {
      await analyzeImportTables(deps.db);
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
    inFlight.push(startBatch(deps, job, importOptions, prepared, inFlight.at(-1) ?? null, afterCommit));
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
    return "done";
  } finally {
    // Whatever ends the loop, no batch is left writing behind it (one after a stop rolls back).
    await Promise.allSettled(inFlight.map((pending) => pending.done));
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

// ---- One batch -------------------------------------------------------------------------------

type KeyKind = MatchKey;
const KEY_FIELD: Record<KeyKind, string> = { identifier: "identifier", email: "email", phone: "phone_number" };

interface Candidate {
  row: number;
  cells: string[];
  patch: ContactPatch;
  keys: Partial<Record<KeyKind, string>>;
}

interface Accepted extends Candidate {
  /** The matched contact, or none for a new one. */
  target: Contact | null;
  /** The new contact's id, once written. */
  createdId?: number;
  columns: ContactColumns;
  /** Labels to link (all of a new contact's; those a matched one lacks). */
  labels: string[];
}

function report(record: CsvRecord, result: "skipped" | "failed", reason: string, message: string): ImportRowReport {
  return { row: record.row, result, reason, message, cells: record.cells };
}

/** A batch's rows checked on their own, before anything is read from the database. */
interface PreparedBatch {
  size: number;
  lastRow: number;
  candidates: Candidate[];
  /** The rows already refused (skipped or failed), and later those the batch refuses. */
  reports: ImportRowReport[];
}

/** Validates and normalises each row of a batch; needs nothing from the database. */
function prepareBatch(deps: CoreDeps, columns: ColumnMap, records: CsvRecord[]): PreparedBatch {
  const reports: ImportRowReport[] = [];
  const candidates: Candidate[] = [];
  for (const record of records) {
    const extra = record.cells.slice(columns.header.length);
    if (extra.some((cell) => cell.trim() !== "")) {
      reports.push(
        report(
          record,
          "failed",
          "too_many_cells",
          `Row has ${record.cells.length} cells; the header has ${columns.header.length}`,
        ),
      );
      continue;
    }
    const input = rowInput(columns, record.cells);
    if (input === null) {
      reports.push(report(record, "skipped", "no_data", "Row has no values in the imported columns"));
      continue;
    }
    try {
      const patch = prepareContactPatch(input, deps.settings);
      const keys: Candidate["keys"] = {};
      if (patch.identifier) keys.identifier = patch.identifier;
      if (patch.email) keys.email = patch.email;
      if (patch.phone?.e164) keys.phone = patch.phone.e164;
      candidates.push({ row: record.row, cells: record.cells, patch, keys });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      reports.push(invalid(record, error));
    }
  }
  return { size: records.length, lastRow: (records[records.length - 1] as CsvRecord).row, candidates, reports };
}

/** A batch handed to the database, as the batch after it sees it. */
interface BatchInFlight {
  /**
   * The keys its rows take (`kind:value`, and `contact:<id>` for a contact a row updates) → row,
   * once it has decided every row. The next batch reads them instead of the database, which cannot
   * show it this batch's writes before they commit.
   */
  taken: Promise<Map<string, number>>;
  /** Settles once its contacts, labels and history are written (not yet committed). */
  written: Promise<void>;
  /** Settles once it has committed (true: the import stops after it) or rolled back; rejects when it failed. */
  done: Promise<boolean>;
  /** Set when its writes went back on a decision (a row failed on a key another writer took): `taken` was wrong. */
  redecided: boolean;
}

/** This batch must not land: the one before it stopped the import. */
class Cancelled extends Error {}
/** This batch decided from keys the one before it published and then went back on: decide again. */
class Redecide extends Error {}

/**
 * Starts a batch's transaction. With a batch still in flight before it, this one looks up,
 * decides and writes its rows while that batch writes, and commits after that batch commits. The
 * batch before never waits for this one, which waits for it:
 * - this batch's lookup locks only contacts it will write, and waits for any the batch before holds;
 * - its new contacts take no key the batch before took (it read them from `taken`);
 * - it creates and links labels only once the batch before has written (both may add the same new
 *   label), and writes the import's own rows (checkpoint, reports, keys) only once it has committed.
 */
function startBatch(
  deps: CoreDeps,
  job: ImportRow,
  options: ImportOptions,
  prepared: PreparedBatch,
  previous: BatchInFlight | null,
  afterCommit: (prepared: PreparedBatch) => Promise<boolean>,
): BatchInFlight {
  const taken = settledLater<Map<string, number>>();
  const written = settledLater<void>();
  const batch: BatchInFlight = {
    taken: taken.promise,
    written: written.promise,
    done: Promise.resolve(false),
    redecided: false,
  };
  const stages = { previous, self: batch, decided: taken.resolve, wrote: written.resolve };
  const run = async (): Promise<boolean> => {
    try {
      await writeBatch(deps, job, options, prepared, stages);
    } catch (error) {
      if (error instanceof Cancelled) return true;
      if (!(error instanceof Redecide)) throw error;
      // Decide again once the batch before has committed, from what the database then holds.
      if (await (previous as BatchInFlight).done) return true;
      batch.redecided = true;
      await writeBatch(deps, job, options, prepared, { ...stages, previous: null });
    }
    return afterCommit(prepared);
  };
  batch.done = handledLater(
    run().catch((error: unknown) => {
      taken.reject(error);
      written.reject(error);
      throw error;
    }),
  );
  return batch;
}

/** A promise settled from outside, whose rejection is handled where it is awaited. */
function settledLater<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = handledLater(
    new Promise<T>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    }),
  );
  return { promise, resolve, reject };
}

/** Where a batch stands against the one before it, and how it tells the one after it. */
interface BatchStages {
  previous: BatchInFlight | null;
  self: BatchInFlight;
  decided: (taken: Map<string, number>) => void;
  wrote: () => void;
}

/**
 * De-duplicates and matches a prepared batch, writes it set-based, and moves the checkpoint, all
 * in one transaction: a crash loses the batch whole and the resume redoes it. Statements that do
 * not wait for an answer are issued together, so the database runs one while the next is built.
 */
async function writeBatch(
  deps: CoreDeps,
  job: ImportRow,
  options: ImportOptions,
  prepared: PreparedBatch,
  { previous, self, decided, wrote }: BatchStages,
): Promise<void> {
  const { lastRow, candidates } = prepared;
  const reports = [...prepared.reports];
  await deps.db.transaction(async (tx) => {
    // After the batch before has taken its ids, so that new contacts' ids follow the file.
    const takenBefore = previous ? await previous.taken : new Map<string, number>();
    const setup = handledLater(
      Promise.all([commitBatchWithoutFlush(tx), nextContactIds(tx, candidates.length), audienceOf(tx, job.account_id)]),
    );
    let accepted: Accepted[];
    try {
      accepted = await resolve(tx, job, options, candidates, reports, takenBefore);
    } catch (error) {
      await setup; // a failure there came first, and is the cause
      throw error;
    }
    decided(takenKeys(accepted));
    const [, ids, audience] = await setup;
    for (const row of accepted) if (row.target === null) row.createdId = ids.shift();
    const turn = previous ? writtenAsDecided(previous) : null;
    // Labels new to the account are the one write both batches may make: this one's wait for the
    // batch before to finish writing, so that batch never waits for this one.
    const labelsTx = turn ? heldUntil(turn, tx) : tx;
    try {
      await allIssued([tx.exec("SAVEPOINT import_batch"), writeContacts(tx, job, accepted, audience, labelsTx)]);
    } catch (error) {
      if (!isContactClash(error)) throw error;
      // Another writer took a key after the batch was matched: redo row by row, failing only the clashing rows.
      await tx.exec("ROLLBACK TO SAVEPOINT import_batch");
      for (const row of [...accepted]) {
        await tx.exec("SAVEPOINT import_row");
        try {
          await writeContacts(tx, job, [row], audience, labelsTx);
          await tx.exec("RELEASE SAVEPOINT import_row");
        } catch (rowError) {
          if (!isContactClash(rowError)) throw rowError;
          await tx.exec("ROLLBACK TO SAVEPOINT import_row");
          accepted.splice(accepted.indexOf(row), 1);
          self.redecided = true;
          reports.push({
            row: row.row,
            result: "failed",
            reason: "conflict",
            message: `Another contact took this ${clashField(rowError)} while the import ran`,
            cells: row.cells,
          });
        }
      }
    }
    await turn;
    wrote();
    if (previous && (await previous.done)) throw new Cancelled();
    const counts: BatchCounts = {
      created: accepted.filter((row) => row.target === null).length,
      updated: accepted.filter((row) => row.target !== null).length,
      skipped: reports.filter((r) => r.result === "skipped").length,
      failed: reports.filter((r) => r.result === "failed").length,
    };
    // A dry run goes through the same writes and takes them back, keeping only the report.
    const ended = tx.exec(job.dry_run ? "ROLLBACK TO SAVEPOINT import_batch" : "RELEASE SAVEPOINT import_batch");
    const rows = insertImportRows(tx, job.account_id, job.id, reports);
    const keys = insertImportKeys(tx, job.account_id, job.id, keysOf(accepted, job.dry_run));
    const checkpoint = checkpointImport(tx, job, lastRow, counts, LEASE_MS);
    await allIssued([ended, rows, keys, checkpoint]);
    if (!(await checkpoint)) throw new LeaseLost();
  });
}

/** Settles once `previous` has written; fails with `Redecide` when it went back on a decision this batch read. */
function writtenAsDecided(previous: BatchInFlight): Promise<void> {
  return handledLater(
    previous.written.then(() => {
      if (previous.redecided) throw new Redecide();
    }),
  );
}

/** `tx` with its statements held until `turn` settles, then sent in the order issued (or failed with it). */
function heldUntil(turn: Promise<void>, tx: Queryable): Queryable {
  return {
    query: async (statement) => {
      await turn;
      return tx.query(statement);
    },
    execute: async (statement) => {
      await turn;
      return tx.execute(statement);
    },
    exec: async (text) => {
      await turn;
      return tx.exec(text);
    },
  };
}

/** Work started ahead whose failure is dealt with where it is awaited, later (not "unhandled"). */
function handledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Waits for statements issued together; the first to fail, in the order issued, is the error. */
async function allIssued(statements: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(statements);
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}

function invalid(record: CsvRecord, error: ValidationError): ImportRowReport {
  const [first] = error.fields;
  return report(record, "failed", first?.code ?? "invalid_fields", error.message);
}

/**
 * Decides each row's fate in file order: duplicate of an earlier row, clash, update or create.
 * `takenBefore` holds the keys of the batch before, which may not have committed yet.
 */
async function resolve(
  tx: Queryable,
  job: ImportRow,
  options: ImportOptions,
  candidates: Candidate[],
  reports: ImportRowReport[],
  takenBefore: Map<string, number>,
): Promise<Accepted[]> {
  const contacts = await lockContactsByKeys(tx, job.account_id, {
    identifiers: candidates.flatMap((c) => (c.keys.identifier ? [c.keys.identifier] : [])),
    emails: candidates.flatMap((c) => (c.keys.email ? [c.keys.email] : [])),
    phones: candidates.flatMap((c) => (c.keys.phone ? [c.keys.phone] : [])),
  });
  const holders: Record<KeyKind, Map<string, Contact>> = {
    identifier: new Map(contacts.filter((c) => c.identifier).map((c) => [c.identifier as string, c])),
    email: new Map(contacts.filter((c) => c.email).map((c) => [c.email as string, c])),
    phone: new Map(contacts.filter((c) => c.phoneNumber).map((c) => [c.phoneNumber as string, c])),
  };
  const seen = await takenByEarlierRows(tx, job, candidates, holders);
  for (const [key, row] of takenBefore) if (!seen.has(key)) seen.set(key, row);
  const accepted: Accepted[] = [];
  const fail = (c: Candidate, result: "skipped" | "failed", reason: string, message: string) =>
    reports.push({ row: c.row, result, reason, message, cells: c.cells });
  for (const c of candidates) {
    const keys = Object.entries(c.keys) as Array<[KeyKind, string]>;
    const earlier = keys
      .map(([kind, value]) => ({ kind, row: seen.get(`${kind}:${value}`) }))
      .filter((hit): hit is { kind: KeyKind; row: number } => hit.row !== undefined)
      .sort((a, b) => a.row - b.row)[0];
    if (earlier) {
      fail(c, "skipped", "duplicate_in_file", `Same ${KEY_FIELD[earlier.kind]} as row ${earlier.row}`);
      continue;
    }
    const matches = options.match.flatMap((kind) => {
      const value = c.keys[kind];
      const contact = value === undefined ? undefined : holders[kind].get(value);
      return contact ? [{ kind, contact }] : [];
    });
    const first = matches[0];
    const other = matches.find((m) => m.contact.id !== first?.contact.id);
    if (first && other) {
      fail(
        c,
        "failed",
        "ambiguous_match",
        `${KEY_FIELD[first.kind]} matches contact ${first.contact.id} but ${KEY_FIELD[other.kind]} matches contact ${other.contact.id}`,
      );
      continue;
    }
    const target = first?.contact ?? null;
    if (target && c.keys.identifier && target.identifier !== null && target.identifier !== c.keys.identifier) {
      fail(
        c,
        "failed",
        "identifier_mismatch",
        `The ${KEY_FIELD[first?.kind ?? "email"]} belongs to contact ${target.id}, which has a different identifier`,
      );
      continue;
    }
    const clash = keys.find(([kind, value]) => {
      const holder = holders[kind].get(value);
      return holder !== undefined && holder.id !== target?.id;
    });
    if (clash) {
      const holder = holders[clash[0]].get(clash[1]) as Contact;
      fail(c, "failed", "conflict", `Another contact (${holder.id}) already has this ${KEY_FIELD[clash[0]]}`);
      continue;
    }
    if (target) {
      const claimedBy = seen.get(`contact:${target.id}`);
      if (claimedBy !== undefined) {
        fail(c, "skipped", "duplicate_in_file", `Row ${claimedBy} already matched the same contact (${target.id})`);
        continue;
      }
    }
    let columns: ContactColumns;
    try {
      columns = target ? columnsForUpdatedContact(target, c.patch) : columnsForNewContact(c.patch);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      fail(c, "failed", error.fields[0]?.code ?? "invalid_fields", error.message);
      continue;
    }
    const labels = (c.patch.labels ?? []).filter((label) => !target?.labels.includes(label));
    for (const [kind, value] of keys) seen.set(`${kind}:${value}`, c.row);
    if (target) seen.set(`contact:${target.id}`, c.row);
    accepted.push({ ...c, target, columns, labels });
  }
  return accepted;
}

/**
 * Keys earlier batches' rows took, as `kind:value` → row, and `contact:<id>` → the row that
 * updated that contact. A row that took a key wrote it to a contact, so only keys some contact
 * holds now are looked up; a contact the import created stands for all of its keys, and its
 * creation's history entry names the row (no key is stored for it): an import of new people
 * stores and looks up almost nothing. A dry run writes no contacts, so it records and looks up
 * every key.
 */
async function takenByEarlierRows(
  tx: Queryable,
  job: ImportRow,
  candidates: Candidate[],
  holders: Record<KeyKind, Map<string, Contact>>,
): Promise<Map<string, number>> {
  const keys = candidates.flatMap((c) => Object.entries(c.keys) as Array<[KeyKind, string]>);
  const held = job.dry_run ? keys : keys.filter(([kind, value]) => holders[kind].has(value));
  const holderIds = [...new Set(held.flatMap(([kind, value]) => holders[kind].get(value)?.id ?? []))];
  const wanted = [
    ...held.map(([kind, value]) => ({ kind, value })),
    ...holderIds.map((id) => ({ kind: "contact", value: String(id) })),
  ];
  const found = await findImportKeys(tx, job.account_id, job.id, wanted);
  const seen = new Map(found.map((key) => [`${key.kind}:${key.value}`, key.row]));
  const createdBy = job.dry_run ? new Map() : await contactsCreatedByImport(tx, job.account_id, job.id, holderIds);
  for (const [kind, value] of held) {
    const row = createdBy.get(holders[kind].get(value)?.id ?? 0);
    if (row !== undefined && !seen.has(`${kind}:${value}`)) seen.set(`${kind}:${value}`, row);
  }
  return seen;
}

/** The keys a row took: its own, and the contact it updated. */
function keysTakenBy(row: Accepted): ImportKey[] {
  return [
    ...Object.entries(row.keys).map(([kind, value]) => ({ kind, value, row: row.row })),
    ...(row.target ? [{ kind: "contact", value: String(row.target.id), row: row.row }] : []),
  ];
}

/** The keys to store for later batches' duplicate checks (see takenByEarlierRows). */
function keysOf(accepted: Accepted[], dryRun: boolean): ImportKey[] {
  // A created contact's history entry names its row.
  return accepted.flatMap((row) => (row.target === null && !dryRun ? [] : keysTakenBy(row)));
}

/** Every key a batch's rows took, for the next batch to read before this one commits. */
function takenKeys(accepted: Accepted[]): Map<string, number> {
  return new Map(accepted.flatMap(keysTakenBy).map((key) => [`${key.kind}:${key.value}`, key.row]));
}

/**
 * Inserts and updates set-based, then history (one entry per contact and kind) and label links,
 * each statement issued as soon as it is built; labels through `labelsTx` (see writeBatch).
 */
async function writeContacts(
  tx: Queryable,
  job: ImportRow,
  rows: Accepted[],
  audience: Audience,
  labelsTx: Queryable,
): Promise<void> {
  const accountId = job.account_id;
  const actorId = job.user_id;
  const inserts = rows.flatMap((row) =>
    row.target === null ? [{ id: row.createdId as number, columns: row.columns, row }] : [],
  );
  const statements: Array<Promise<unknown>> = [insertContactsWithIds(tx, accountId, inserts)];
  const changed = rows.flatMap((row) => {
    if (!row.target) return [];
    const changes = contactChanges(columnsOf(row.target), row.columns);
    return Object.keys(changes).length > 0 ? [{ id: row.target.id, columns: row.columns, changes, row }] : [];
  });
  statements.push(updateContactsColumns(tx, accountId, changed));
  const links = rows.flatMap((row) =>
    row.labels.map((label) => ({ contactId: row.target?.id ?? (row.createdId as number), label })),
  );
  const importId = String(job.id);
  const history: NewActivity[] = [
    ...inserts.map(({ id, columns, row }) => ({
      contactId: id,
      action: "contact.created",
      actorId,
      details: {
        changes: contactChanges(columnsForNewContact({}), columns),
        labels: row.patch.labels ?? [],
        import_id: importId,
        import_row: row.row,
      },
    })),
    ...changed.map(({ id, changes }) => ({
      contactId: id,
      action: "contact.updated",
      actorId,
      details: { changes, import_id: importId },
    })),
    ...rows
      .filter((row) => row.target !== null && row.labels.length > 0)
      .map((row) => ({
        contactId: (row.target as Contact).id,
        action: "contact.labels_changed",
        actorId,
        details: { added: row.labels, removed: [], import_id: importId },
      })),
  ];
  statements.push(recordBulkChanges(tx, accountId, history, audience));
  statements.push(linkLabelsByName(labelsTx, accountId, links));
  await allIssued(statements);
}

function isContactClash(error: unknown): boolean {
  return isPgError(error, PG_UNIQUE_VIOLATION) && uniqueFieldOf(error.constraint) !== null;
}

function clashField(error: unknown): string {
  const field = isPgError(error, PG_UNIQUE_VIOLATION) ? uniqueFieldOf(error.constraint) : null;
  return field === "phone_e164" ? "phone number" : (field ?? "value");
}
