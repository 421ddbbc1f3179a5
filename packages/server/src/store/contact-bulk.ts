import type { Contact, ContactColumns } from "../core/contacts/contact.js";
import { CONTACT_COLUMNS, type ContactRow, toContact } from "./contacts.js";
import type { Queryable } from "./database.js";
import { type Sql, sql } from "./sql.js";

/**
 * Contacts written set-based, many rows per statement: what imports use. Single-row writes,
 * with their uniqueness checks, are in contacts.ts.
 */

/**
 * Every contact holding any of the identifiers, emails or phone numbers, locked FOR UPDATE in id
 * order (so concurrent writers cannot deadlock on them), in one query for a whole batch.
 */
export async function lockContactsByKeys(
  db: Queryable,
  accountId: number,
  keys: { identifiers: string[]; emails: string[]; phones: string[] },
): Promise<Contact[]> {
  if (keys.identifiers.length + keys.emails.length + keys.phones.length === 0) return [];
  // Each kind of key looked up through its own unique index: written as one OR, the planner
  // scanned the account's contacts instead.
  const ids = await db.query<{ id: number }>(
    sql`
    SELECT id FROM contacts
    WHERE account_id = ${accountId} AND id IN (
      SELECT id FROM contacts WHERE account_id = ${accountId} AND identifier = ANY(${keys.identifiers}::text[])
      UNION SELECT id FROM contacts WHERE account_id = ${accountId} AND email = ANY(${keys.emails}::text[])
      UNION SELECT id FROM contacts WHERE account_id = ${accountId} AND phone_e164 = ANY(${keys.phones}::text[]))
    ORDER BY id FOR UPDATE`.prepared(),
  );
  if (ids.length === 0) return [];
  const rows = await db.query<ContactRow>(
    sql`
    SELECT ${CONTACT_COLUMNS}
    FROM contacts c WHERE c.account_id = ${accountId} AND c.id = ANY(${ids.map((r) => r.id)}::bigint[])
    ORDER BY c.id`.prepared(),
  );
  return rows.map(toContact);
}

/** Ids for new contacts, taken ahead so each inserted row is known to be which input row. */
export async function nextContactIds(db: Queryable, count: number): Promise<number[]> {
  if (count === 0) return [];
  const rows = await db.query<{ id: number }>(
    // The sequence named as a constant: looked up per row (pg_get_serial_sequence), it cost 6× more.
    sql`SELECT nextval('contacts_id_seq') AS id FROM generate_series(1, ${count}::integer)`.prepared(),
  );
  return rows.map((row) => Number(row.id));
}

/** The written columns of a contact row, as jsonb_to_recordset reads them. */
type ColumnsRecord = Omit<
  ContactRow,
  "account_id" | "labels" | "last_activity_at" | "created_at" | "updated_at" | "revision"
>;

function recordOf(id: number, c: ContactColumns): ColumnsRecord {
  return {
    id,
    name: c.name,
    email: c.email,
    phone_e164: c.phoneE164,
    phone_raw: c.phoneRaw,
    identifier: c.identifier,
    avatar_url: c.avatarUrl,
    additional_attributes: c.additionalAttributes,
    custom_attributes: c.customAttributes,
    blocked: c.blocked,
  };
}

const RECORDSET = sql.raw(`r(id bigint, name text, email text, phone_e164 text, phone_raw text, identifier text,
  avatar_url text, additional_attributes jsonb, custom_attributes jsonb, blocked boolean)`);

/** The rows as one parameter, read back as a table `r` with the contact's columns. */
function recordsOf(rows: Array<{ id: number; columns: ContactColumns }>): Sql {
  return sql`jsonb_to_recordset(${sql.json(rows.map((row) => recordOf(row.id, row.columns)))}) AS ${RECORDSET}`;
}

export async function insertContactsWithIds(
  db: Queryable,
  accountId: number,
  rows: Array<{ id: number; columns: ContactColumns }>,
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(
    sql`
    INSERT INTO contacts (account_id, id, name, email, phone_e164, phone_raw, identifier, avatar_url,
      additional_attributes, custom_attributes, blocked)
    OVERRIDING SYSTEM VALUE
    SELECT ${accountId}, r.id, r.name, r.email, r.phone_e164, r.phone_raw, r.identifier, r.avatar_url,
      r.additional_attributes, r.custom_attributes, r.blocked
    FROM ${recordsOf(rows)}`.prepared(),
  );
}

export async function updateContactsColumns(
  db: Queryable,
  accountId: number,
  rows: Array<{ id: number; columns: ContactColumns }>,
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    UPDATE contacts c SET name = r.name, email = r.email, phone_e164 = r.phone_e164, phone_raw = r.phone_raw,
      identifier = r.identifier, avatar_url = r.avatar_url, additional_attributes = r.additional_attributes,
      custom_attributes = r.custom_attributes, blocked = r.blocked, updated_at = now()
    FROM ${recordsOf(rows)}
    WHERE c.account_id = ${accountId} AND c.id = r.id`);
}

/** Links contacts to labels by name, creating the labels the account does not have yet. */
export async function linkLabelsByName(
  db: Queryable,
  accountId: number,
  links: Array<{ contactId: number; label: string }>,
): Promise<void> {
  if (links.length === 0) return;
  const names = [...new Set(links.map((link) => link.label))];
  await db.execute(
    sql`
    INSERT INTO labels (account_id, name) SELECT ${accountId}, unnest(${names}::text[])
    ON CONFLICT (account_id, name) DO NOTHING`.prepared(),
  );
  await db.execute(
    sql`
    INSERT INTO contact_labels (account_id, contact_id, label_id)
    SELECT ${accountId}, k.contact_id, l.id
    FROM unnest(${links.map((l) => l.contactId)}::bigint[], ${links.map((l) => l.label)}::text[]) AS k(contact_id, name)
    JOIN labels l ON l.account_id = ${accountId} AND l.name = k.name
    ON CONFLICT DO NOTHING`.prepared(),
  );
}
