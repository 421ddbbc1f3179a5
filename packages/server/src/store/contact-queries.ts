import type { SortKey } from "../core/contacts/contact.js";
import { type Sql, sql } from "./sql.js";

/**
 * Pieces of contact queries shared by listing, search and export, so that they order and match
 * rows the same way. All expect the contacts table aliased as `c`.
 */

export interface SortColumn {
  expression: Sql;
  type: "text" | "timestamptz";
  nullable: boolean;
}

/** A position in a sorted listing: the sort value (as text) and id of the last row seen. */
export interface Position {
  value: string | null;
  id: number;
}

const COMPANY = sql`lower(coalesce(c.additional_attributes ->> 'company_name', c.additional_attributes ->> 'company'))`;

export const SORT_COLUMNS: Record<SortKey, SortColumn> = {
  name: { expression: sql`lower(c.name)`, type: "text", nullable: false },
  email: { expression: sql`c.email`, type: "text", nullable: true },
  phone_number: { expression: sql`c.phone_e164`, type: "text", nullable: true },
  last_activity_at: { expression: sql`c.last_activity_at`, type: "timestamptz", nullable: true },
  created_at: { expression: sql`c.created_at`, type: "timestamptz", nullable: false },
  company: { expression: COMPANY, type: "text", nullable: true },
  city: { expression: sql`lower(c.additional_attributes ->> 'city')`, type: "text", nullable: true },
  country: { expression: sql`lower(c.additional_attributes ->> 'country')`, type: "text", nullable: true },
};

/** The sort value as text a cursor can carry; times in ISO 8601 UTC, whatever the session's DateStyle. */
export function sortValueText(column: SortColumn): Sql {
  if (column.type === "text") return column.expression;
  return sql`to_char(${column.expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** ORDER BY for a sort column, id breaking ties; a null column sorts by id alone. */
export function orderBy(column: SortColumn | null, direction: "asc" | "desc"): Sql {
  const dir = sql.raw(direction === "asc" ? "ASC" : "DESC");
  if (column === null) return sql`c.id ${dir}`;
  // Non-null keys keep PostgreSQL's default null order so that an index scan in either
  // direction matches; nullable keys put empty values last in both directions.
  const nulls = column.nullable ? sql` NULLS LAST` : sql.empty;
  return sql`${column.expression} ${dir}${nulls}, c.id ${dir}`;
}

/** Rows after a position in that order (keyset paging). */
export function afterPosition(column: SortColumn | null, direction: "asc" | "desc", after: Position): Sql {
  const cmp = sql.raw(direction === "asc" ? ">" : "<");
  if (column === null) return sql`c.id ${cmp} ${after.id}`;
  const expr = column.expression;
  if (after.value === null) return sql`(${expr} IS NULL AND c.id ${cmp} ${after.id})`;
  const value = sql`${after.value}::${sql.raw(column.type)}`;
  if (!column.nullable) return sql`(${expr}, c.id) ${cmp} (${value}, ${after.id})`;
  return sql`(${expr} ${cmp} ${value} OR (${expr} = ${value} AND c.id ${cmp} ${after.id}) OR ${expr} IS NULL)`;
}

export function hasAnyLabel(labels: string[]): Sql {
  return sql`EXISTS (
    SELECT 1 FROM contact_labels cl
    WHERE cl.account_id = c.account_id AND cl.contact_id = c.id AND cl.name = ANY(${labels}::text[]))`;
}

/** LIKE pattern text for a literal string: escapes the backslash, % and _. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * The rows a search term matches: a substring of search_text for terms of three or more
 * characters (trigram index), else a prefix of name, email, identifier or phone (btree indexes),
 * never a scan of the account. `term` is lower-cased; `digits` is set when it looks like a phone.
 */
export function searchMatch(term: string, digits: string | null): Sql {
  const like = escapeLike(term);
  const likeDigits = digits === null ? null : escapeLike(digits);
  if (term.length >= 3) {
    const byText = sql`c.search_text LIKE ${`%${like}%`}`;
    if (likeDigits === null || likeDigits.length < 3 || likeDigits === like) return byText;
    return sql`(${byText} OR c.search_text LIKE ${`%${likeDigits}%`})`;
  }
  const prefix = `${like}%`;
  const parts = [
    sql`lower(c.name) LIKE ${prefix}`,
    sql`c.email LIKE ${prefix}`,
    sql`lower(c.identifier) LIKE ${prefix}`,
  ];
  if (likeDigits !== null) parts.push(sql`c.phone_e164 LIKE ${`+${likeDigits}%`}`);
  return sql`(${sql.join(parts, " OR ")})`;
}
