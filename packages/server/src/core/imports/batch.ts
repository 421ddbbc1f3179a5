/**
 * One batch of an import's rows: checked on their own, then de-duplicated, matched and written in
 * one transaction with the import's checkpoint.
 */
import type { NewActivity } from "../../store/activities.js";
import {
  insertContactsWithHistory,
  linkLabelsByName,
  lockContactsByKeys,
  nextContactIds,
  updateContactsColumns,
} from "../../store/contact-bulk.js";
import { uniqueFieldOf } from "../../store/contacts.js";
import { isPgError, PG_UNIQUE_VIOLATION, type Queryable } from "../../store/database.js";
import {
  type BatchCounts,
  checkpointImport,
  commitBatchWithoutFlush,
  contactsCreatedByImport,
  findImportKeys,
  type ImportKey,
  type ImportRow,
  type ImportRowReport,
  insertImportKeys,
  insertImportRows,
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
import { type Audience, audienceOf, recordBulkChanges } from "../events/record.js";
import { type ColumnMap, rowInput } from "./columns.js";
import type { CsvRecord } from "./csv-parse.js";
import {
  allIssued,
  type BatchStages,
  Cancelled,
  handledLater,
  heldUntil,
  type KeysLookup,
  TakenKeys,
  takenByBatchesBefore,
  writtenAsDecided,
} from "./in-flight.js";
import { LEASE_MS, LeaseLost } from "./lease.js";
import type { ImportOptions, MatchKey } from "./options.js";

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
export interface PreparedBatch {
  size: number;
  lastRow: number;
  candidates: Candidate[];
  /** The rows already refused (skipped or failed), and later those the batch refuses. */
  reports: ImportRowReport[];
}

/** Validates and normalises each row of a batch; needs nothing from the database. */
export function prepareBatch(deps: CoreDeps, columns: ColumnMap, records: CsvRecord[]): PreparedBatch {
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

/**
 * De-duplicates and matches a prepared batch, writes it set-based, and moves the checkpoint, all
 * in one transaction: a crash loses the batch whole and the resume redoes it. Statements that do
 * not wait for an answer are issued together, so the database runs one while the next is built.
 */
export async function writeBatch(
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
    const takenBefore = await takenByBatchesBefore(previous);
    const setup = handledLater(
      Promise.all([commitBatchWithoutFlush(tx), nextContactIds(tx, candidates.length), audienceOf(tx, job.account_id)]),
    );
    let accepted: Accepted[];
    try {
      const resolved = await resolve(tx, job, options, candidates, reports, takenBefore);
      accepted = resolved.accepted;
      decided(resolved.taken);
    } catch (error) {
      await setup; // a failure there came first, and is the cause
      throw error;
    }
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
      // Another writer took a key after the batch was matched: redo row by row.
      await tx.exec("ROLLBACK TO SAVEPOINT import_batch");
      if (await writeRowByRow(tx, job, accepted, reports, audience, labelsTx)) self.redecided = true;
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

/**
 * Writes each accepted row in a savepoint of its own, failing (and dropping from `accepted`) only
 * the rows whose key another writer took; true when it dropped any.
 */
async function writeRowByRow(
  tx: Queryable,
  job: ImportRow,
  accepted: Accepted[],
  reports: ImportRowReport[],
  audience: Audience,
  labelsTx: Queryable,
): Promise<boolean> {
  let dropped = false;
  for (const row of [...accepted]) {
    await tx.exec("SAVEPOINT import_row");
    try {
      await writeContacts(tx, job, [row], audience, labelsTx);
      await tx.exec("RELEASE SAVEPOINT import_row");
    } catch (error) {
      if (!isContactClash(error)) throw error;
      await tx.exec("ROLLBACK TO SAVEPOINT import_row");
      accepted.splice(accepted.indexOf(row), 1);
      dropped = true;
      reports.push({
        row: row.row,
        result: "failed",
        reason: "conflict",
        message: `Another contact took this ${clashField(error)} while the import ran`,
        cells: row.cells,
      });
    }
  }
  return dropped;
}

function invalid(record: CsvRecord, error: ValidationError): ImportRowReport {
  const [first] = error.fields;
  return report(record, "failed", first?.code ?? "invalid_fields", error.message);
}

/**
 * Decides each row's fate in file order: duplicate of an earlier row, clash, update or create.
 * `takenBefore` holds the keys of the batches before that have not committed yet; `taken`, those
 * this batch's rows take (see keysTakenBy).
 */
async function resolve(
  tx: Queryable,
  job: ImportRow,
  options: ImportOptions,
  candidates: Candidate[],
  reports: ImportRowReport[],
  takenBefore: KeysLookup,
): Promise<{ accepted: Accepted[]; taken: Map<string, number> }> {
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
  const taken = new Map<string, number>();
  // This batch's rows first, then what earlier batches committed, then the batches still in flight.
  const seen = new TakenKeys([taken, await takenByEarlierRows(tx, job, candidates, holders), takenBefore]);
  const accepted: Accepted[] = [];
  const fail = (c: Candidate, result: "skipped" | "failed", reason: string, message: string) =>
    reports.push({ row: c.row, result, reason, message, cells: c.cells });
  for (const c of candidates) {
    const keys = Object.entries(c.keys) as Array<[KeyKind, string]>;
    const names = keys.map(([kind, value]) => `${kind}:${value}`);
    const earlier = earliestTaker(seen, keys, names);
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
    for (const name of names) taken.set(name, c.row);
    if (target) taken.set(`contact:${target.id}`, c.row);
    accepted.push({ ...c, target, columns, labels });
  }
  return { accepted, taken };
}

/** The earliest row that took one of a row's keys (`names[i]` is `keys[i]` as looked up). */
function earliestTaker(
  seen: KeysLookup,
  keys: Array<[KeyKind, string]>,
  names: string[],
): { kind: KeyKind; row: number } | undefined {
  let earliest: { kind: KeyKind; row: number } | undefined;
  for (let i = 0; i < names.length; i++) {
    const row = seen.get(names[i] as string);
    if (row !== undefined && (earliest === undefined || row < earliest.row)) {
      earliest = { kind: (keys[i] as [KeyKind, string])[0], row };
    }
  }
  return earliest;
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

/**
 * Inserts and updates set-based, then history (one entry per contact and kind) and label links,
 * each statement issued as soon as it is built; labels through `labelsTx` (see writeBatch). A
 * created contact's history entry is written by the database from the inserted row, with the
 * details createContact gives one, plus the import and row (see insertContactsWithHistory).
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
  const importId = String(job.id);
  const inserts = rows.flatMap((row) =>
    row.target === null
      ? [{ id: row.createdId as number, columns: row.columns, labels: row.patch.labels ?? [], importRow: row.row }]
      : [],
  );
  const statements: Array<Promise<unknown>> = [
    insertContactsWithHistory(tx, accountId, inserts, { actorId, importId, withEvent: audience.hearsCreations }),
  ];
  const changed = rows.flatMap((row) => {
    if (!row.target) return [];
    const changes = contactChanges(columnsOf(row.target), row.columns);
    return Object.keys(changes).length > 0 ? [{ id: row.target.id, columns: row.columns, changes }] : [];
  });
  statements.push(updateContactsColumns(tx, accountId, changed));
  const links = rows.flatMap((row) =>
    row.labels.map((label) => ({ contactId: row.target?.id ?? (row.createdId as number), label })),
  );
  const history: NewActivity[] = [
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
