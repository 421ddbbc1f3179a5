import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface InboxRow {
  account_id: number;
  id: number;
  name: string;
  channel_type: string;
  provider: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = sql`account_id, id, name, channel_type, provider, created_at, updated_at`;

export async function insertInbox(
  db: Queryable,
  accountId: number,
  inbox: { name: string; channelType: string; provider: string | null },
): Promise<InboxRow> {
  const [row] = await db.query<InboxRow>(sql`
    INSERT INTO inboxes (account_id, name, channel_type, provider)
    VALUES (${accountId}, ${inbox.name}, ${inbox.channelType}, ${inbox.provider}) RETURNING ${COLUMNS}`);
  return row as InboxRow;
}

export async function updateInbox(
  db: Queryable,
  accountId: number,
  id: number,
  inbox: { name: string; provider: string | null },
): Promise<InboxRow | null> {
  const rows = await db.query<InboxRow>(sql`
    UPDATE inboxes SET name = ${inbox.name}, provider = ${inbox.provider}, updated_at = now()
    WHERE account_id = ${accountId} AND id = ${id} RETURNING ${COLUMNS}`);
  return rows[0] ?? null;
}

export async function deleteInbox(db: Queryable, accountId: number, id: number): Promise<boolean> {
  return (await db.execute(sql`DELETE FROM inboxes WHERE account_id = ${accountId} AND id = ${id}`)) > 0;
}

export async function findInbox(db: Queryable, accountId: number, id: number): Promise<InboxRow | null> {
  const rows = await db.query<InboxRow>(
    sql`SELECT ${COLUMNS} FROM inboxes WHERE account_id = ${accountId} AND id = ${id}`,
  );
  return rows[0] ?? null;
}

export async function listInboxes(db: Queryable, accountId: number): Promise<InboxRow[]> {
  return db.query<InboxRow>(sql`SELECT ${COLUMNS} FROM inboxes WHERE account_id = ${accountId} ORDER BY id`);
}
