import { type ExportBatchQuery, type ExportSortKey, exportContactsBatch } from "../../store/contact-export.js";
import type { ListedContact, Position } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import { type Contact, type Direction, SORT_KEYS } from "../contacts/contact.js";
import { phoneDigits } from "../contacts/normalize.js";
import { MAX_TERM, searchTerm } from "../contacts/search.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import { type Cell, csvRow, UTF8_BOM } from "./csv.js";

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

export const DEFAULT_BATCH_SIZE = 2000;
const MAX_BATCH_SIZE = 10_000;
const MAX_COLUMNS = 500;
const MAX_KEY = 255;

type CellOf = (contact: Contact) => Cell;

const iso = (date: Date | null) => date?.toISOString() ?? null;
const json = (value: unknown) => JSON.stringify(value);

/** The contact's fields under their native API names; times in ISO 8601 UTC as the API renders them. */
function standardColumns(baseUrl: string): Record<string, CellOf> {
  return {
    id: (c) => c.id,
    name: (c) => c.name,
    display_name: (c) => c.name,
    email: (c) => c.email,
    phone_number: (c) => c.phoneNumber,
    phone_number_raw: (c) => c.phoneRaw,
    identifier: (c) => c.identifier,
    avatar_url: (c) => (c.avatarUrl?.startsWith("/") ? `${baseUrl}${c.avatarUrl}` : c.avatarUrl),
    blocked: (c) => c.blocked,
    // Label names cannot hold commas, so one comma-separated cell is unambiguous (and is the
    // form the labels filter accepts).
    labels: (c) => c.labels.join(","),
    additional_attributes: (c) => json(c.additionalAttributes),
    custom_attributes: (c) => json(c.customAttributes),
    created_at: (c) => iso(c.createdAt),
    updated_at: (c) => iso(c.updatedAt),
    last_activity_at: (c) => iso(c.lastActivityAt),
  };
}

const ATTRIBUTE_COLUMN = /^(additional_attributes|custom_attributes)\.(.*)$/s;

/** One attribute's value: scalars as they are, nested values as JSON. */
function attributeCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return json(value);
}

interface Column {
  name: string;
  cell: CellOf;
  needsLabels: boolean;
}

interface Plan {
  columns: Column[];
  query: Omit<ExportBatchQuery, "after">;
  bom: boolean;
}

function plan(options: ContactsCsvOptions): Plan {
  const errors = new FieldErrors();
  const columns = checkColumns(options.columns, options.baseUrl ?? "", errors);
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
    columns,
    query: { sort, direction, labels, search, limit, withLabels: columns.some((c) => c.needsLabels) },
    bom: options.bom ?? false,
  };
}

function checkColumns(names: string[] | undefined, baseUrl: string, errors: FieldErrors): Column[] {
  const requested = names === undefined || names.length === 0 ? DEFAULT_COLUMNS : names;
  if (requested.length > MAX_COLUMNS) {
    errors.add("columns", "too_many", `at most ${MAX_COLUMNS} columns`);
    return [];
  }
  const standard = standardColumns(baseUrl);
  const columns: Column[] = [];
  for (const name of requested) {
    const cell = Object.hasOwn(standard, name) ? standard[name] : undefined;
    if (cell) {
      columns.push({ name, cell, needsLabels: name === "labels" });
      continue;
    }
    const attribute = ATTRIBUTE_COLUMN.exec(name);
    const key = attribute?.[2];
    if (!attribute || key === undefined) {
      errors.add(
        "columns",
        "unknown_column",
        `unknown column "${name}": use ${Object.keys(standard).join(", ")}, additional_attributes.<key> or custom_attributes.<key>`,
      );
    } else if (key === "" || key.length > MAX_KEY || /[\u0000-\u001f\u007f]/.test(key)) {
      errors.add("columns", "invalid_column", `"${name}": the key must be 1 to ${MAX_KEY} printable characters`);
    } else {
      const custom = attribute[1] === "custom_attributes";
      columns.push({
        name,
        cell: (c) => attributeCell((custom ? c.customAttributes : c.additionalAttributes)[key]),
        needsLabels: false,
      });
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

/**
 * An account's contacts as CSV text (RFC 4180, CRLF, header row first), in chunks of one batch.
 * Options are checked and the first batch read before this resolves, so bad input or a failing
 * database is reported before anything is sent. Later batches are read only as the consumer pulls,
 * so memory stays at one batch however many contacts there are.
 *
 * Batches follow the sort key and id (keyset), never an offset: with the default sort by id, every
 * contact that exists for the whole export appears exactly once even while others are written.
 */
/** Checks export options without reading anything: the same errors contactsCsv would raise. */
export function checkContactsCsvOptions(options: ContactsCsvOptions): void {
  plan(options);
}

export async function contactsCsv(
  deps: CoreDeps,
  actor: Actor,
  options: ContactsCsvOptions = {},
): Promise<AsyncGenerator<string, void, undefined>> {
  const { columns, query, bom } = plan(options);
  const read = (after: Position | null) => exportContactsBatch(deps.db, actor.accountId, { ...query, after });
  const first = await read(null);
  const header = (bom ? UTF8_BOM : "") + csvRow(columns.map((c) => c.name));
  return chunks(header, first, query.limit, columns, read);
}

async function* chunks(
  header: string,
  first: ListedContact[],
  limit: number,
  columns: Column[],
  read: (after: Position) => Promise<ListedContact[]>,
): AsyncGenerator<string, void, undefined> {
  let text = header;
  let batch = first;
  for (;;) {
    for (const { contact } of batch) text += csvRow(columns.map((column) => column.cell(contact)));
    if (text !== "") yield text;
    const last = batch.at(-1);
    if (batch.length < limit || last === undefined) return;
    batch = await read(last.position);
    text = "";
  }
}
