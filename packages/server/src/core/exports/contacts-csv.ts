import {
  type CsvBatch,
  EXPORT_FIELDS,
  type ExportBatchQuery,
  type ExportColumn,
  type ExportField,
  type ExportSortKey,
  exportCsvBatch,
} from "../../store/contact-export.js";
import type { Position } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import { type Direction, SORT_KEYS } from "../contacts/contact.js";
import { phoneDigits } from "../contacts/normalize.js";
import { MAX_TERM, searchTerm } from "../contacts/search.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import { csvRow, UTF8_BOM } from "./csv.js";

export type { ExportSortKey };
export const EXPORT_SORT_KEYS: readonly ExportSortKey[] = ["id", ...SORT_KEYS];

export interface ContactsCsvOptions {
  /** Column names; default DEFAULT_COLUMNS. */
  columns?: string[];
  /** Only contacts that contact search matches (same rules); blank means no search. */
  q?: string;
  /** Only contacts with any of these labels. */
  labels?: string[];
  /** Default id. */
  sort?: ExportSortKey;
  /** Default ascending, except descending for times (as in lists). */
  direction?: Direction;
  /** Start with a UTF-8 byte order mark. */
  bom?: boolean;
  /** Origin that makes stored avatar paths absolute, as the API renders avatar_url. */
  baseUrl?: string;
  /** Rows per database query. */
  batchSize?: number;
}

export const DEFAULT_COLUMNS = [
  "id",
  "name",
  "email",
  "phone_number",
  "identifier",
  "labels",
  "created_at",
  "updated_at",
  "last_activity_at",
  "blocked",
] as const;

export const DEFAULT_BATCH_SIZE = 5000;
const MAX_BATCH_SIZE = 10_000;
const MAX_COLUMNS = 500;
const MAX_KEY = 255;

const ATTRIBUTE_COLUMN = /^(additional_attributes|custom_attributes)\.(.*)$/s;

interface Plan {
  header: string[];
  query: Omit<ExportBatchQuery, "after">;
  bom: boolean;
}

function plan(options: ContactsCsvOptions): Plan {
  const errors = new FieldErrors();
  const names = options.columns === undefined || options.columns.length === 0 ? DEFAULT_COLUMNS : options.columns;
  const columns = checkColumns(names, errors);
  const labels = normalizeLabels(options.labels ?? [], errors);
  const search = checkSearch(options.q, errors);
  const limit = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BATCH_SIZE) {
    errors.add("batch_size", "out_of_range", `must be from 1 to ${MAX_BATCH_SIZE}`);
  }
  errors.throwIfAny();
  const sort = options.sort ?? "id";
  const direction = options.direction ?? (sort === "created_at" || sort === "last_activity_at" ? "desc" : "asc");
  return {
    header: [...names],
    query: { sort, direction, labels, search, limit, columns, baseUrl: options.baseUrl ?? "" },
    bom: options.bom ?? false,
  };
}

function checkColumns(names: readonly string[], errors: FieldErrors): ExportColumn[] {
  if (names.length > MAX_COLUMNS) {
    errors.add("columns", "too_many", `at most ${MAX_COLUMNS} columns`);
    return [];
  }
  const columns: ExportColumn[] = [];
  for (const name of names) {
    if ((EXPORT_FIELDS as readonly string[]).includes(name)) {
      columns.push({ field: name as ExportField });
      continue;
    }
    const attribute = ATTRIBUTE_COLUMN.exec(name);
    const key = attribute?.[2];
    if (!attribute || key === undefined) {
      errors.add(
        "columns",
        "unknown_column",
        `unknown column "${name}": use ${EXPORT_FIELDS.join(", ")}, additional_attributes.<key> or custom_attributes.<key>`,
      );
    } else if (key === "" || key.length > MAX_KEY || /[\u0000-\u001f\u007f]/.test(key)) {
      errors.add("columns", "invalid_column", `"${name}": the key must be 1 to ${MAX_KEY} printable characters`);
    } else {
      columns.push({ hash: attribute[1] as "additional_attributes" | "custom_attributes", key });
    }
  }
  return columns;
}

/** The search term as contact search normalises it; blank means none. */
function checkSearch(q: string | undefined, errors: FieldErrors): ExportBatchQuery["search"] {
  const term = searchTerm(q ?? "");
  if (term === "") return null;
  if (term.length > MAX_TERM) {
    errors.add("q", "too_long", `must be at most ${MAX_TERM} characters`);
    return null;
  }
  return { term, digits: phoneDigits(term) };
}

/** Checks export options without reading anything: the same errors contactsCsv would raise. */
export function checkContactsCsvOptions(options: ContactsCsvOptions): void {
  plan(options);
}

/**
 * An account's contacts as CSV (UTF-8, RFC 4180, CRLF, header row first), in chunks of one batch.
 * Options are checked and the first batch read before this resolves, so bad input or a failing
 * database is reported before anything is sent. Later batches are read only as the consumer pulls,
 * so memory stays at one batch however many contacts there are.
 *
 * Batches follow the sort key and id (keyset), never an offset: with the default sort by id, every
 * contact that exists for the whole export appears exactly once even while others are written.
 */
export async function contactsCsv(
  deps: CoreDeps,
  actor: Actor,
  options: ContactsCsvOptions = {},
): Promise<AsyncGenerator<Buffer, void, undefined>> {
  const { header, query, bom } = plan(options);
  const read = (after: Position | null) => exportCsvBatch(deps.db, actor.accountId, { ...query, after });
  const first = await read(null);
  return chunks(Buffer.from((bom ? UTF8_BOM : "") + csvRow(header)), first, query.limit, read);
}

/**
 * The header and each batch's bytes. The next batch is asked for as soon as the previous one is
 * known, so the database works on it while this one is being sent: the export takes about as
 * long as the slower of the two, not their sum. At most two batches are held.
 */
async function* chunks(
  header: Buffer,
  first: CsvBatch,
  limit: number,
  read: (after: Position) => Promise<CsvBatch>,
): AsyncGenerator<Buffer, void, undefined> {
  const after = (batch: CsvBatch) => (batch.rows === limit && batch.last ? quiet(read(batch.last)) : null);
  let next = after(first);
  yield Buffer.concat([header, first.bytes]);
  while (next) {
    const batch = await next;
    next = after(batch);
    if (batch.bytes.length > 0) yield batch.bytes;
  }
}

/** A read ahead may be abandoned (the client went away): its failure must not go unhandled. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
