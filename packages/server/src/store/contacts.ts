import type { Attributes, Contact, ContactColumns, Direction, SortKey } from "../core/contacts/contact.js";
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
import { sql } from "./sql.js";

export interface ContactRow {
  account_id: number;
  id: number;
  name: string;
  email: string | null;
  phone_e164: string | null;
  phone_raw: string | null;
  identifier: string | null;
  avatar_url: string | null;
  additional_attributes: Attributes;
  custom_attributes: Attributes;
  blocked: boolean;
  labels: string[];
  last_activity_at: Date | null;
  created_at: Date;
  updated_at: Date;
  revision: string;
}

// The names from the links themselves: one range of their primary key, in name order (migration 0016).
const LABELS_OF_CONTACT = sql`ARRAY(
  SELECT cl.name FROM contact_labels cl
  WHERE cl.account_id = c.account_id AND cl.contact_id = c.id
  ORDER BY cl.name) AS labels`;

// The row's revision is its xmin, the transaction that wrote this version of it: every write
// changes it, and reading it costs nothing.
export const CONTACT_COLUMNS = sql`c.account_id, c.id, c.name, c.email, c.phone_e164, c.phone_raw, c.identifier,
  c.avatar_url, c.additional_attributes, c.custom_attributes, c.blocked, c.last_activity_at,
  c.created_at, c.updated_at, c.xmin::text AS revision, ${LABELS_OF_CONTACT}`;

export function toContact(row: ContactRow): Contact {
  return {
    accountId: row.account_id,
    id: row.id,
    name: row.name,
    email: row.email,
    phoneNumber: row.phone_e164,
    phoneRaw: row.phone_raw,
    identifier: row.identifier,
    avatarUrl: row.avatar_url,
    additionalAttributes: row.additional_attributes,
    customAttributes: row.custom_attributes,
    blocked: row.blocked,
    labels: row.labels,
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: row.revision,
  };
}

export async function insertContact(db: Queryable, accountId: number, columns: ContactColumns): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO contacts (account_id, name, email, phone_e164, phone_raw, identifier, avatar_url,
      additional_attributes, custom_attributes, blocked)
    VALUES (${accountId}, ${columns.name}, ${columns.email}, ${columns.phoneE164}, ${columns.phoneRaw},
      ${columns.identifier}, ${columns.avatarUrl}, ${sql.json(columns.additionalAttributes)},
      ${sql.json(columns.customAttributes)},
      ${columns.blocked})
    RETURNING id`);
  return (row as { id: number }).id;
}

export async function updateContactColumns(
  db: Queryable,
  accountId: number,
  id: number,
  columns: ContactColumns,
): Promise<void> {
  await db.execute(sql`
    UPDATE contacts SET name = ${columns.name}, email = ${columns.email}, phone_e164 = ${columns.phoneE164},
      phone_raw = ${columns.phoneRaw}, identifier = ${columns.identifier}, avatar_url = ${columns.avatarUrl},
      additional_attributes = ${sql.json(columns.additionalAttributes)},
      custom_attributes = ${sql.json(columns.customAttributes)},
      blocked = ${columns.blocked}, updated_at = now()
    WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function touchContact(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.execute(sql`UPDATE contacts SET updated_at = now() WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function findContact(
  db: Queryable,
  accountId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<Contact | null> {
  const lock = options.forUpdate ? sql` FOR UPDATE OF c` : sql.empty;
  // Prepared: parsing and planning it took several times as long as running it.
  const rows = await db.query<ContactRow>(
    sql`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ${accountId} AND c.id = ${id}${lock}`.prepared(),
  );
  return rows[0] ? toContact(rows[0]) : null;
}

export async function deleteContact(db: Queryable, accountId: number, id: number): Promise<boolean> {
  return (await db.execute(sql`DELETE FROM contacts WHERE account_id = ${accountId} AND id = ${id}`)) > 0;
}

export type UniqueField = "email" | "phone_e164" | "identifier";

/** The contact (other than `exceptId`) that already holds a unique value. */
export async function findContactIdBy(
  db: Queryable,
  accountId: number,
  field: UniqueField,
  value: string,
): Promise<number | null> {
  const column = sql.raw(field);
  const rows = await db.query<{ id: number }>(
    sql`SELECT id FROM contacts WHERE account_id = ${accountId} AND ${column} = ${value}`,
  );
  return rows[0]?.id ?? null;
}

export async function findContactBy(
  db: Queryable,
  accountId: number,
  field: UniqueField,
  value: string,
): Promise<Contact | null> {
  const column = sql.raw(`c.${field}`);
  const rows = await db.query<ContactRow>(
    sql`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ${accountId} AND ${column} = ${value}`,
  );
  return rows[0] ? toContact(rows[0]) : null;
}

/** The unique index a constraint name belongs to, so a clash can name its field. */
export function uniqueFieldOf(constraint: string | undefined): UniqueField | null {
  switch (constraint) {
    case "contacts_email_key":
      return "email";
    case "contacts_phone_key":
      return "phone_e164";
    case "contacts_identifier_key":
      return "identifier";
    default:
      return null;
  }
}

// ---- Listing ---------------------------------------------------------------------------------

export type { Position } from "./contact-queries.js";
export { escapeLike } from "./contact-queries.js";

export interface ListQuery {
  sort: SortKey;
  direction: Direction;
  labels: string[];
  limit: number;
  skip: number;
  after: Position | null;
}

export interface ListedContact {
  contact: Contact;
  position: Position;
}

export async function listContacts(db: Queryable, accountId: number, query: ListQuery): Promise<ListedContact[]> {
  const column = SORT_COLUMNS[query.sort];
  const conditions = [sql`c.account_id = ${accountId}`];
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  if (query.after) conditions.push(afterPosition(column, query.direction, query.after));
  const rows = await db.query<ContactRow & { sort_value: string | null }>(sql`
    SELECT ${CONTACT_COLUMNS}, ${sortValueText(column)} AS sort_value
    FROM contacts c
    WHERE ${sql.join(conditions, " AND ")}
    ORDER BY ${orderBy(column, query.direction)}
    LIMIT ${query.limit} OFFSET ${query.skip}`);
  return rows.map((row) => ({ contact: toContact(row), position: { value: row.sort_value, id: row.id } }));
}

// ---- Counting --------------------------------------------------------------------------------

/** How many contacts a listing (labels) or search (term) would give in all. */
export async function countContacts(
  db: Queryable,
  accountId: number,
  query: { labels: string[]; term?: string; digits?: string | null },
): Promise<number> {
  const conditions = [sql`c.account_id = ${accountId}`];
  if (query.term !== undefined) conditions.push(searchMatch(query.term, query.digits ?? null));
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  const [row] = await db.query<{ n: string }>(
    sql`SELECT count(*) AS n FROM contacts c WHERE ${sql.join(conditions, " AND ")}`,
  );
  return Number(row?.n ?? 0);
}
