import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface ContactInboxRow {
  id: number;
  contact_id: number;
  source_id: string;
  hmac_verified: boolean;
  created_at: Date;
  inbox_id: number;
  inbox_name: string;
  channel_type: string;
  provider: string | null;
}

const SELECT = sql`
  SELECT ci.id, ci.contact_id, ci.source_id, ci.hmac_verified, ci.created_at,
    i.id AS inbox_id, i.name AS inbox_name, i.channel_type, i.provider
  FROM contact_inboxes ci JOIN inboxes i ON i.account_id = ci.account_id AND i.id = ci.inbox_id`;

export async function insertContactInbox(
  db: Queryable,
  accountId: number,
  row: { contactId: number; inboxId: number; sourceId: string; hmacVerified: boolean },
): Promise<number> {
  const [inserted] = await db.query<{ id: number }>(sql`
    INSERT INTO contact_inboxes (account_id, contact_id, inbox_id, source_id, hmac_verified)
    VALUES (${accountId}, ${row.contactId}, ${row.inboxId}, ${row.sourceId}, ${row.hmacVerified}) RETURNING id`);
  return (inserted as { id: number }).id;
}

export async function findContactInbox(db: Queryable, accountId: number, id: number): Promise<ContactInboxRow | null> {
  const rows = await db.query<ContactInboxRow>(sql`${SELECT} WHERE ci.account_id = ${accountId} AND ci.id = ${id}`);
  return rows[0] ?? null;
}

export async function findContactInboxBySource(
  db: Queryable,
  accountId: number,
  inboxId: number,
  sourceId: string,
): Promise<ContactInboxRow | null> {
  const rows = await db.query<ContactInboxRow>(
    sql`${SELECT} WHERE ci.account_id = ${accountId} AND ci.inbox_id = ${inboxId} AND ci.source_id = ${sourceId}`,
  );
  return rows[0] ?? null;
}

/** The identities of several contacts at once (one query for a whole page). */
export async function contactInboxesOf(
  db: Queryable,
  accountId: number,
  contactIds: number[],
): Promise<ContactInboxRow[]> {
  if (contactIds.length === 0) return [];
  return db.query<ContactInboxRow>(
    sql`${SELECT} WHERE ci.account_id = ${accountId} AND ci.contact_id = ANY(${contactIds}::bigint[]) ORDER BY ci.id`,
  );
}
