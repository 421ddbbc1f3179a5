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
import { type ListedContact, toContact } from "./contacts.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/**
 * Whole-account reads in keyset batches: each batch is one short query starting after the last
 * row of the previous one, so an export of any size holds one batch in memory, costs the same per
 * batch at any depth, and never holds a connection (PGlite has only one) between batches.
 */

export type ExportSortKey = "id" | SortKey;

export interface ExportSearch {
  /** Lower-cased term with LIKE metacharacters still raw. */
  term: string;
  /** Digits when the term looks like a phone number. */
  digits: string | null;
}

export interface ExportBatchQuery {
  sort: ExportSortKey;
  direction: Direction;
  labels: string[];
  search: ExportSearch | null;
  /** The last row of the previous batch; null for the first. */
  after: Position | null;
  limit: number;
  /** Whether to read each contact's labels (a subquery per row, skipped when not exported). */
  withLabels: boolean;
}

type Row = Parameters<typeof toContact>[0] & { sort_value: string | null };

const LABELS = sql`ARRAY(
  SELECT l.name FROM contact_labels cl
  JOIN labels l ON l.account_id = cl.account_id AND l.id = cl.label_id
  WHERE cl.account_id = c.account_id AND cl.contact_id = c.id
  ORDER BY l.name)`;

export async function exportContactsBatch(
  db: Queryable,
  accountId: number,
  query: ExportBatchQuery,
): Promise<ListedContact[]> {
  const conditions = [sql`c.account_id = ${accountId}`];
  if (query.search) conditions.push(searchMatch(query.search.term, query.search.digits));
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  const column = query.sort === "id" ? null : SORT_COLUMNS[query.sort];
  if (query.after) conditions.push(afterPosition(column, query.direction, query.after));
  const labels = query.withLabels ? LABELS : sql`ARRAY[]::text[]`;
  const sortValue = column ? sortValueText(column) : sql`NULL::text`;
  const rows = await db.query<Row>(sql`
    SELECT c.account_id, c.id, c.name, c.email, c.phone_e164, c.phone_raw, c.identifier, c.avatar_url,
      c.additional_attributes, c.custom_attributes, c.blocked, c.last_activity_at, c.created_at, c.updated_at,
      ${labels} AS labels, ${sortValue} AS sort_value
    FROM contacts c
    WHERE ${sql.join(conditions, " AND ")}
    ORDER BY ${orderBy(column, query.direction)}
    LIMIT ${query.limit}`);
  return rows.map((row) => ({ contact: toContact(row), position: { value: row.sort_value, id: row.id } }));
}
