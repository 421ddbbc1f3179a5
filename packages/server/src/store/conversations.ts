import type { Queryable } from "./database.js";
import { type Sql, sql } from "./sql.js";

export interface ConversationRow {
  account_id: number;
  id: number;
  contact_id: number;
  inbox_id: number;
  inbox_name: string;
  channel_type: string;
  status: "open" | "pending" | "resolved" | "snoozed";
  assignee_id: number | null;
  assignee_name: string | null;
  snoozed_until: Date | null;
  labels: string[];
  last_activity_at: Date;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`
  SELECT cv.account_id, cv.id, cv.contact_id, cv.inbox_id, i.name AS inbox_name, i.channel_type, cv.status,
    cv.assignee_id, u.name AS assignee_name, cv.snoozed_until, cv.last_activity_at, cv.created_at, cv.updated_at,
    ARRAY(
      SELECT l.name FROM conversation_labels cl JOIN labels l ON l.account_id = cl.account_id AND l.id = cl.label_id
      WHERE cl.account_id = cv.account_id AND cl.conversation_id = cv.id ORDER BY l.name) AS labels
  FROM conversations cv
  JOIN inboxes i ON i.account_id = cv.account_id AND i.id = cv.inbox_id
  LEFT JOIN users u ON u.account_id = cv.account_id AND u.id = cv.assignee_id`;

export async function insertConversation(
  db: Queryable,
  accountId: number,
  row: { contactId: number; inboxId: number; status: string; assigneeId: number | null; snoozedUntil: Date | null },
): Promise<number> {
  const [inserted] = await db.query<{ id: number }>(sql`
    INSERT INTO conversations (account_id, contact_id, inbox_id, status, assignee_id, snoozed_until)
    VALUES (${accountId}, ${row.contactId}, ${row.inboxId}, ${row.status}, ${row.assigneeId}, ${row.snoozedUntil})
    RETURNING id`);
  return (inserted as { id: number }).id;
}

export async function findConversation(
  db: Queryable,
  accountId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<ConversationRow | null> {
  const lock = options.forUpdate ? sql` FOR UPDATE OF cv` : sql.empty;
  const rows = await db.query<ConversationRow>(
    sql`${SELECT} WHERE cv.account_id = ${accountId} AND cv.id = ${id}${lock}`,
  );
  return rows[0] ?? null;
}

export interface ConversationFilter {
  contactId?: number;
  channelTypes?: string[];
  statuses?: string[];
  assigneeId?: number;
  inboxId?: number;
  limit: number;
  skip: number;
}

function conditionsOf(accountId: number, filter: Omit<ConversationFilter, "limit" | "skip">): Sql {
  const conditions: Sql[] = [sql`cv.account_id = ${accountId}`];
  if (filter.contactId !== undefined) conditions.push(sql`cv.contact_id = ${filter.contactId}`);
  if (filter.channelTypes?.length) conditions.push(sql`i.channel_type = ANY(${filter.channelTypes}::text[])`);
  if (filter.statuses?.length) conditions.push(sql`cv.status = ANY(${filter.statuses}::text[])`);
  if (filter.assigneeId !== undefined) conditions.push(sql`cv.assignee_id = ${filter.assigneeId}`);
  if (filter.inboxId !== undefined) conditions.push(sql`cv.inbox_id = ${filter.inboxId}`);
  return sql.join(conditions, " AND ");
}

/** Newest activity first; ties broken by id so pages are stable. */
export async function listConversations(
  db: Queryable,
  accountId: number,
  filter: ConversationFilter,
): Promise<ConversationRow[]> {
  return db.query<ConversationRow>(sql`${SELECT}
    WHERE ${conditionsOf(accountId, filter)}
    ORDER BY cv.last_activity_at DESC, cv.id DESC
    LIMIT ${filter.limit} OFFSET ${filter.skip}`);
}

export async function countConversations(
  db: Queryable,
  accountId: number,
  filter: Omit<ConversationFilter, "limit" | "skip">,
): Promise<number> {
  const [row] = await db.query<{ n: string }>(sql`
    SELECT count(*) AS n FROM conversations cv JOIN inboxes i ON i.account_id = cv.account_id AND i.id = cv.inbox_id
    WHERE ${conditionsOf(accountId, filter)}`);
  return Number(row?.n ?? 0);
}

export async function updateConversation(
  db: Queryable,
  accountId: number,
  id: number,
  row: { status: string; assigneeId: number | null; snoozedUntil: Date | null },
): Promise<void> {
  await db.execute(sql`
    UPDATE conversations SET status = ${row.status}, assignee_id = ${row.assigneeId},
      snoozed_until = ${row.snoozedUntil}, updated_at = now(), last_activity_at = now()
    WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function touchConversation(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.execute(sql`
    UPDATE conversations SET updated_at = now(), last_activity_at = now() WHERE account_id = ${accountId} AND id = ${id}`);
}

/** A conversation moving means its contact was active: last activity becomes now. Returns before and after. */
export async function markContactActive(
  db: Queryable,
  accountId: number,
  contactId: number,
): Promise<{ from: Date | null; to: Date } | undefined> {
  const [row] = await db.query<{ from: Date | null; to: Date }>(sql`
    WITH old AS (
      SELECT account_id, id, last_activity_at FROM contacts WHERE account_id = ${accountId} AND id = ${contactId} FOR UPDATE
    )
    UPDATE contacts c SET last_activity_at = now() FROM old
    WHERE c.account_id = old.account_id AND c.id = old.id
    RETURNING old.last_activity_at AS "from", c.last_activity_at AS "to"`);
  return row;
}

export async function replaceConversationLabels(
  db: Queryable,
  accountId: number,
  conversationId: number,
  labelIds: number[],
): Promise<void> {
  await db.execute(sql`
    DELETE FROM conversation_labels WHERE account_id = ${accountId} AND conversation_id = ${conversationId}
      AND NOT (label_id = ANY(${labelIds}::bigint[]))`);
  if (labelIds.length === 0) return;
  await db.execute(sql`
    INSERT INTO conversation_labels (account_id, conversation_id, label_id)
    SELECT ${accountId}, ${conversationId}, unnest(${labelIds}::bigint[])
    ON CONFLICT DO NOTHING`);
}
