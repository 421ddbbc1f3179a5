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

/** A contact an import creates: its id (taken ahead), columns, labels and row of the file. */
export interface CreatedContact {
  id: number;
  columns: ContactColumns;
  labels: string[];
  importRow: number;
}

/** What a created contact's history entry says besides the contact's values. */
export interface CreationEntry {
  actorId: number | null;
  importId: string;
  /** Whether the entry also gets its event in the outbox. */
  withEvent: boolean;
}

/** One attribute hash's keys as changes from nothing, in the hash's own order (json keeps it). */
function attributeChanges(column: "additional_attributes" | "custom_attributes"): Sql {
  return sql.raw(`(SELECT string_agg(to_json('${column}.' || a.key) || ':{"from":null,"to":' || a.value || '}', ','
        ORDER BY a.n) FROM json_each(r.${column}) WITH ORDINALITY AS a(key, value, n))`);
}

/**
 * Inserts new contacts with their `contact.created` history entries, and the entries' events when
 * `entry.withEvent`, in one statement. The database writes each entry from the row it inserts, so
 * the contact's values are sent once: sent as a second document they were two thirds of an
 * import's bytes. The entry's details are those core writes for a created contact: `changes` as
 * contactChanges gives them from a new contact's defaults (name "", blocked false, the rest
 * null; fields in its order, then each attribute), `labels`, `import_id` and `import_row`.
 */
export async function insertContactsWithHistory(
  db: Queryable,
  accountId: number,
  rows: CreatedContact[],
  entry: CreationEntry,
): Promise<void> {
  if (rows.length === 0) return;
  const records = rows.map((row) => ({
    ...recordOf(row.id, row.columns),
    labels: row.labels,
    import_row: row.importRow,
  }));
  await db.execute(
    sql`
    WITH r AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${sql.jsonText(records)}) AS r(id bigint, name text, email text,
        phone_e164 text, phone_raw text, identifier text, avatar_url text, additional_attributes json,
        custom_attributes json, blocked boolean, labels json, import_row integer)
    ), inserted AS (
      INSERT INTO contacts (account_id, id, name, email, phone_e164, phone_raw, identifier, avatar_url,
        additional_attributes, custom_attributes, blocked)
      OVERRIDING SYSTEM VALUE
      SELECT ${accountId}, r.id, r.name, r.email, r.phone_e164, r.phone_raw, r.identifier, r.avatar_url,
        r.additional_attributes::jsonb, r.custom_attributes::jsonb, r.blocked
      FROM r
    ), entry AS MATERIALIZED (
      SELECT r.id, ('{"changes":{' || concat_ws(',',
        CASE WHEN r.name <> '' THEN '"name":{"from":"","to":' || to_json(r.name) || '}' END,
        CASE WHEN r.email IS NOT NULL THEN '"email":{"from":null,"to":' || to_json(r.email) || '}' END,
        CASE WHEN r.phone_e164 IS NOT NULL THEN '"phone_number":{"from":null,"to":' || to_json(r.phone_e164) || '}' END,
        CASE WHEN r.identifier IS NOT NULL THEN '"identifier":{"from":null,"to":' || to_json(r.identifier) || '}' END,
        CASE WHEN r.avatar_url IS NOT NULL THEN '"avatar_url":{"from":null,"to":' || to_json(r.avatar_url) || '}' END,
        CASE WHEN r.blocked THEN '"blocked":{"from":false,"to":true}' END,
        ${attributeChanges("additional_attributes")},
        ${attributeChanges("custom_attributes")}
      ) || '},"labels":' || r.labels || ',"import_id":' || to_json(${entry.importId}::text)
        || ',"import_row":' || r.import_row || '}')::json AS details
      FROM r
    ), history AS (
      INSERT INTO activities (account_id, contact_id, action, actor_id, details)
      SELECT ${accountId}, entry.id, 'contact.created', ${entry.actorId}::bigint, entry.details FROM entry
    )
    INSERT INTO events (account_id, type, actor_id, contact_id, data)
    SELECT ${accountId}, 'contact.created', ${entry.actorId}::bigint, entry.id, entry.details::jsonb
    FROM entry WHERE ${entry.withEvent}::boolean`.prepared(),
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
    INSERT INTO contact_labels (account_id, contact_id, label_id, name)
    SELECT ${accountId}, k.contact_id, l.id, l.name
    FROM unnest(${links.map((l) => l.contactId)}::bigint[], ${links.map((l) => l.label)}::text[]) AS k(contact_id, name)
    JOIN labels l ON l.account_id = ${accountId} AND l.name = k.name
    ON CONFLICT DO NOTHING`.prepared(),
  );
}
