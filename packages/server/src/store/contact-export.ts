import type { Direction, SortKey } from "../core/contacts/contact.js";
import {
  afterPosition,
  hasAnyLabel,
  orderBy,
  type Position,
  SORT_COLUMNS,
  searchMatch,
  sortValueText,
} from "./contact-queries.js";
import type { Queryable } from "./database.js";
import { type Sql, sql } from "./sql.js";

/**
 * Whole-account reads in keyset batches, each contact's record formatted as CSV by the database:
 * one short query per batch, starting after the last row of the previous one, so an export of any
 * size holds one batch in memory, costs the same per batch at any depth, and never holds a
 * connection (PGlite has only one) between batches. Formatting in SQL spares the server from
 * parsing every row's columns only to print them again, which made exports CPU-bound.
 */

export type ExportSortKey = "id" | SortKey;

export interface ExportSearch {
  /** Lower-cased term with LIKE metacharacters still raw. */
  term: string;
  /** Digits when the term looks like a phone number. */
  digits: string | null;
}

export const EXPORT_FIELDS = [
  "id",
  "name",
  "display_name",
  "email",
  "phone_number",
  "phone_number_raw",
  "identifier",
  "avatar_url",
  "blocked",
  "labels",
  "additional_attributes",
  "custom_attributes",
  "created_at",
  "updated_at",
  "last_activity_at",
] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

/** A column of the file: a contact field, or one key of an attribute hash. */
export type ExportColumn =
  | { field: ExportField }
  | { hash: "additional_attributes" | "custom_attributes"; key: string };

export interface ExportBatchQuery {
  sort: ExportSortKey;
  direction: Direction;
  labels: string[];
  search: ExportSearch | null;
  /** The last row of the previous batch; null for the first. */
  after: Position | null;
  limit: number;
  columns: ExportColumn[];
  /** Origin that makes stored avatar paths absolute. */
  baseUrl: string;
}

export interface CsvBatch {
  /** The batch's records in UTF-8, each ending in CRLF. */
  bytes: Buffer;
  rows: number;
  /** Where the next batch starts; null when this one is empty. */
  last: Position | null;
}

// The same rules as core/exports/csv.ts (escapeFormula, quoteField), written in SQL; a test holds
// the two to the same output. The checks run on every value are plain character tests rather than
// regular expressions, which made formatting cost an export about as much as reading its rows.
const FORMULA_FIRST = sql.raw([45, 61, 43, 64, 9, 13].join(", ")); // - = + @ TAB CR
const E164 = "^\\+[1-9][0-9]{1,14}$";

/** A text value as one CSV field: '' for null, a quote mark before formulas, RFC 4180 quoting. */
function textField(value: Sql): Sql {
  const formula = sql`ascii(${value}) IN (${FORMULA_FIRST}) AND ${value} !~ ${E164}`;
  const guarded = sql`CASE WHEN ${formula} THEN '''' || ${value} ELSE ${value} END`;
  const needsQuotes = sql`(strpos(${value}, '"') > 0 OR strpos(${value}, ',') > 0
    OR strpos(${value}, E'\n') > 0 OR strpos(${value}, E'\r') > 0)`;
  return sql`CASE WHEN ${value} IS NULL THEN ''
    WHEN ${needsQuotes} THEN '"' || replace(${guarded}, '"', '""') || '"'
    ELSE ${guarded} END`;
}

/** ISO 8601 in UTC with milliseconds, as the API renders times. */
function timeField(value: Sql): Sql {
  return sql`coalesce(to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')`;
}

/**
 * CTEs giving each contact of the page its label names in one sorted, comma-separated cell (`lab`),
 * for the whole batch at once: looked up row by row, the label join cost as much as the rest of
 * the batch. When the page is every contact of the account between its first and last id (sorted
 * by id, unfiltered: a plain export), their links are one range of the links' primary key. Otherwise
 * each contact's links are read by its own index probe (the fences keep the planner from hashing
 * every link of the account, which it preferred on large accounts, or probing the labels once per
 * contact). Either way each link carries its label's name (migration 0016).
 */
function batchLabels(accountId: number, idRange: boolean): Sql {
  const links = idRange
    ? sql`SELECT cl.contact_id, cl.name FROM contact_labels cl
      WHERE cl.account_id = ${accountId}
        AND cl.contact_id BETWEEN (SELECT min(id) FROM page) AND (SELECT max(id) FROM page)`
    : sql`SELECT p.id AS contact_id, link.name
      FROM page p
      CROSS JOIN LATERAL (
        SELECT cl.name FROM contact_labels cl
        WHERE cl.account_id = ${accountId} AND cl.contact_id = p.id OFFSET 0
      ) link`;
  return sql`links AS MATERIALIZED (${links}),
    lab AS (
      SELECT k.contact_id, string_agg(k.name, ',' ORDER BY k.name) AS names
      FROM links k
      GROUP BY k.contact_id
    )`;
}

type Format = "text" | "verbatim" | "time" | "boolean" | "attribute" | "labels";

/** What a column reads from the contact row (once), and how that value is written. */
function sourceOf(column: ExportColumn, baseUrl: string): { value: Sql; format: Format } {
  if ("hash" in column)
    return { value: sql`${sql.raw(`c.${column.hash}`)} -> ${column.key}::text`, format: "attribute" };
  switch (column.field) {
    case "id":
      return { value: sql`c.id::text`, format: "verbatim" };
    case "name":
    case "display_name":
      return { value: sql`c.name`, format: "text" };
    case "email":
      return { value: sql`c.email`, format: "text" };
    // The store holds it to E.164 (a CHECK constraint): never quoted, and not a formula to a
    // spreadsheet, so the text rules would leave it as it is, at the cost of a regular expression.
    case "phone_number":
      return { value: sql`c.phone_e164`, format: "verbatim" };
    case "phone_number_raw":
      return { value: sql`c.phone_raw`, format: "text" };
    case "identifier":
      return { value: sql`c.identifier`, format: "text" };
    case "avatar_url":
      return {
        value: sql`CASE WHEN c.avatar_url LIKE '/%' THEN ${baseUrl}::text || c.avatar_url ELSE c.avatar_url END`,
        format: "text",
      };
    case "blocked":
      return { value: sql`c.blocked`, format: "boolean" };
    // Label names cannot hold commas, so one comma-separated cell is unambiguous.
    case "labels":
      return { value: sql`NULL::text`, format: "labels" };
    case "additional_attributes":
      return { value: sql`c.additional_attributes::text`, format: "text" };
    case "custom_attributes":
      return { value: sql`c.custom_attributes::text`, format: "text" };
    case "created_at":
      return { value: sql`c.created_at`, format: "time" };
    case "updated_at":
      return { value: sql`c.updated_at`, format: "time" };
    case "last_activity_at":
      return { value: sql`c.last_activity_at`, format: "time" };
  }
}

/** A value read by sourceOf as one CSV field ('' when absent). */
function fieldOf(value: Sql, format: Format): Sql {
  switch (format) {
    case "text":
      return textField(value);
    case "verbatim":
      return sql`coalesce(${value}, '')`;
    case "time":
      return timeField(value);
    case "boolean":
      return sql`CASE WHEN ${value} THEN 'true' ELSE 'false' END`;
    // Read by batchLabels, not per row.
    case "labels":
      return textField(sql`lab.names`);
    // Strings as text, numbers and booleans as they are, nested values as JSON.
    case "attribute":
      return sql`CASE jsonb_typeof(${value})
        WHEN 'string' THEN ${textField(sql`(${value} #>> '{}')`)}
        WHEN 'number' THEN ${value} #>> '{}'
        WHEN 'boolean' THEN ${value} #>> '{}'
        WHEN 'object' THEN ${textField(sql`${value}::text`)}
        WHEN 'array' THEN ${textField(sql`${value}::text`)}
        ELSE '' END`;
  }
}

export async function exportCsvBatch(db: Queryable, accountId: number, query: ExportBatchQuery): Promise<CsvBatch> {
  const conditions = [sql`c.account_id = ${accountId}`];
  if (query.search) conditions.push(searchMatch(query.search.term, query.search.digits));
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  const column = query.sort === "id" ? null : SORT_COLUMNS[query.sort];
  if (query.after) conditions.push(afterPosition(column, query.direction, query.after));
  const order = orderBy(column, query.direction);
  const sources = query.columns.map((c) => sourceOf(c, query.baseUrl));
  // The page reads each value once; the outer query formats them, referring to each value as
  // often as the CSV rules need.
  const values = sources.map(({ value }, i) => sql`${value} AS ${sql.raw(`v${i}`)}`);
  const fields = sources.map(({ format }, i) => fieldOf(sql.raw(`page.v${i}`), format));
  const record = sql`${sql.join(fields, " || ',' || ")} || E'\\r\\n'`;
  const withLabels = sources.some(({ format }) => format === "labels");
  const idRange = column === null && !query.search && query.labels.length === 0;
  // Rows come in the join's order, which is nearly always the page's: they carry their place in the
  // page and are put in order here only when they are not, which spares the database a sort of
  // every formatted record.
  const statement = sql`
    WITH page AS (
      SELECT ${sql.join(values, ", ")}, ${column ? sortValueText(column) : sql`NULL::text`} AS sort_value, c.id,
        row_number() OVER (ORDER BY ${order})::int AS ord
      FROM contacts c
      WHERE ${sql.join(conditions, " AND ")}
      ORDER BY ${order}
      LIMIT ${query.limit}
    )${withLabels ? sql`, ${batchLabels(accountId, idRange)}` : sql.empty}
    SELECT ${record} AS line, ord, sort_value, page.id
    FROM page${withLabels ? sql` LEFT JOIN lab ON lab.contact_id = page.id` : sql.empty}`;
  // Every batch but the first differs only in where it starts, so its plan is kept (a search's is
  // not: it depends on the term).
  const rows = await db.query<BatchRow>(query.search ? statement : statement.prepared());
  inPageOrder(rows);
  const last = rows.at(-1);
  if (!last) return { bytes: Buffer.alloc(0), rows: 0, last: null };
  // Joined as bytes: one string of a whole batch costs more to build (most batches hold a
  // character beyond Latin-1, so the string takes two bytes a character) and then to encode again.
  const bytes = Buffer.concat(rows.map((row) => Buffer.from(row.line)));
  return { bytes, rows: rows.length, last: { value: last.sort_value, id: Number(last.id) } };
}

interface BatchRow {
  line: string;
  ord: number;
  sort_value: string | null;
  id: string | number;
}

function inPageOrder(rows: BatchRow[]): void {
  let previous = 0;
  for (const { ord } of rows) {
    if (ord < previous) {
      rows.sort((a, b) => a.ord - b.ord);
      return;
    }
    previous = ord;
  }
}
