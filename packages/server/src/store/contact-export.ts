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
 * Whole-account reads in keyset batches, each batch formatted as CSV text by the database: one
 * short query per batch, starting after the last row of the previous one, so an export of any
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
  /** The batch's records, each ending in CRLF. */
  text: string;
  rows: number;
  /** Where the next batch starts; null when this one is empty. */
  last: Position | null;
}

// The same rules as core/exports/csv.ts (escapeFormula, quoteField), written in SQL; a test holds
// the two to the same output.
const FORMULA_START = "^[-=+@\\t\\r]";
const E164 = "^\\+[1-9][0-9]{1,14}$";
const NEEDS_QUOTES = '[",\\r\\n]';

/** A text value as one CSV field: '' for null, a quote mark before formulas, RFC 4180 quoting. */
function textField(value: Sql): Sql {
  const guarded = sql`CASE WHEN ${value} ~ ${FORMULA_START} AND ${value} !~ ${E164} THEN '''' || ${value} ELSE ${value} END`;
  return sql`CASE WHEN ${value} IS NULL THEN ''
    WHEN ${value} ~ ${NEEDS_QUOTES} THEN '"' || replace(${guarded}, '"', '""') || '"'
    ELSE ${guarded} END`;
}

/** ISO 8601 in UTC with milliseconds, as the API renders times. */
function timeField(value: Sql): Sql {
  return sql`coalesce(to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')`;
}

const LABEL_NAMES = sql`array_to_string(ARRAY(
  SELECT l.name FROM contact_labels cl
  JOIN labels l ON l.account_id = cl.account_id AND l.id = cl.label_id
  WHERE cl.account_id = c.account_id AND cl.contact_id = c.id
  ORDER BY l.name), ',')`;

function fieldOf(field: ExportField, baseUrl: string): Sql {
  switch (field) {
    case "id":
      return sql`c.id::text`;
    case "name":
    case "display_name":
      return textField(sql`c.name`);
    case "email":
      return textField(sql`c.email`);
    case "phone_number":
      return textField(sql`c.phone_e164`);
    case "phone_number_raw":
      return textField(sql`c.phone_raw`);
    case "identifier":
      return textField(sql`c.identifier`);
    case "avatar_url":
      return textField(
        sql`CASE WHEN c.avatar_url LIKE '/%' THEN ${baseUrl}::text || c.avatar_url ELSE c.avatar_url END`,
      );
    case "blocked":
      return sql`CASE WHEN c.blocked THEN 'true' ELSE 'false' END`;
    // Label names cannot hold commas, so one comma-separated cell is unambiguous.
    case "labels":
      return textField(LABEL_NAMES);
    case "additional_attributes":
      return textField(sql`c.additional_attributes::text`);
    case "custom_attributes":
      return textField(sql`c.custom_attributes::text`);
    case "created_at":
      return timeField(sql`c.created_at`);
    case "updated_at":
      return timeField(sql`c.updated_at`);
    case "last_activity_at":
      return timeField(sql`c.last_activity_at`);
  }
}

/** One attribute: strings as text, numbers and booleans as they are, nested values as JSON. */
function attributeOf(hash: "additional_attributes" | "custom_attributes", key: string): Sql {
  const column = sql.raw(`c.${hash}`);
  return sql`CASE jsonb_typeof(${column} -> ${key}::text)
    WHEN 'string' THEN ${textField(sql`(${column} ->> ${key}::text)`)}
    WHEN 'number' THEN ${column} ->> ${key}::text
    WHEN 'boolean' THEN ${column} ->> ${key}::text
    WHEN 'null' THEN ''
    ELSE ${textField(sql`(${column} -> ${key}::text)::text`)} END`;
}

function recordOf(columns: ExportColumn[], baseUrl: string): Sql {
  const fields = columns.map((column) =>
    "field" in column ? fieldOf(column.field, baseUrl) : attributeOf(column.hash, column.key),
  );
  // coalesce: a missing attribute key reads as NULL from the CASE above.
  return sql`${sql.join(
    fields.map((field) => sql`coalesce(${field}, '')`),
    " || ',' || ",
  )} || E'\\r\\n'`;
}

export async function exportCsvBatch(db: Queryable, accountId: number, query: ExportBatchQuery): Promise<CsvBatch> {
  const conditions = [sql`c.account_id = ${accountId}`];
  if (query.search) conditions.push(searchMatch(query.search.term, query.search.digits));
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  const column = query.sort === "id" ? null : SORT_COLUMNS[query.sort];
  if (query.after) conditions.push(afterPosition(column, query.direction, query.after));
  const order = orderBy(column, query.direction);
  const [batch] = await db.query<{ text: string | null; rows: number; last_value: string | null; last_id: string }>(sql`
    SELECT string_agg(line, '' ORDER BY ord) AS text, count(*)::int AS rows,
      (array_agg(sort_value ORDER BY ord DESC))[1] AS last_value, (array_agg(id ORDER BY ord DESC))[1] AS last_id
    FROM (
      SELECT ${recordOf(query.columns, query.baseUrl)} AS line,
        ${column ? sortValueText(column) : sql`NULL::text`} AS sort_value, c.id,
        row_number() OVER (ORDER BY ${order}) AS ord
      FROM contacts c
      WHERE ${sql.join(conditions, " AND ")}
      ORDER BY ${order}
      LIMIT ${query.limit}
    ) page`);
  if (!batch || batch.rows === 0) return { text: "", rows: 0, last: null };
  return { text: batch.text ?? "", rows: batch.rows, last: { value: batch.last_value, id: Number(batch.last_id) } };
}
