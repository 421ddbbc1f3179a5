import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface NotificationRow {
  id: number;
  user_id: number;
  type: string;
  event_id: number;
  actor_id: number | null;
  actor_name: string | null;
  contact_id: number | null;
  conversation_id: number | null;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

export interface NewNotification {
  userId: number;
  type: string;
  eventId: number;
  actorId: number | null;
  contactId: number | null;
  conversationId: number | null;
  data: Record<string, unknown>;
}

/** Inserts notifications for users of the account; one already made for the same event is skipped. */
export async function insertNotifications(db: Queryable, accountId: number, rows: NewNotification[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(
    (n) =>
      sql`(${accountId}::bigint, ${n.userId}::bigint, ${n.type}::text, ${n.eventId}::bigint, ${n.actorId}::bigint, ${n.contactId}::bigint, ${n.conversationId}::bigint, ${sql.json(n.data)})`,
  );
  await db.execute(sql`
    INSERT INTO notifications (account_id, user_id, type, event_id, actor_id, contact_id, conversation_id, data)
    SELECT v.* FROM (VALUES ${sql.join(values)}) AS v (account_id, user_id, type, event_id, actor_id, contact_id, conversation_id, data)
    WHERE EXISTS (SELECT 1 FROM users u WHERE u.account_id = v.account_id AND u.id = v.user_id)
    ON CONFLICT (account_id, user_id, event_id, type) DO NOTHING`);
}

export async function listNotifications(
  db: Queryable,
  accountId: number,
  userId: number,
  page: { limit: number; skip: number },
): Promise<NotificationRow[]> {
  return db.query<NotificationRow>(sql`
    SELECT n.id, n.user_id, n.type, n.event_id, n.actor_id, u.name AS actor_name, n.contact_id, n.conversation_id,
      n.data, n.read_at, n.created_at
    FROM notifications n LEFT JOIN users u ON u.account_id = n.account_id AND u.id = n.actor_id
    WHERE n.account_id = ${accountId} AND n.user_id = ${userId} AND n.dismissed_at IS NULL
    ORDER BY n.id DESC LIMIT ${page.limit} OFFSET ${page.skip}`);
}

export async function countNotifications(
  db: Queryable,
  accountId: number,
  userId: number,
): Promise<{ total: number; unread: number }> {
  const [row] = await db.query<{ total: number; unread: number }>(sql`
    SELECT count(*) AS total, count(*) FILTER (WHERE read_at IS NULL) AS unread
    FROM notifications WHERE account_id = ${accountId} AND user_id = ${userId} AND dismissed_at IS NULL`);
  return row ?? { total: 0, unread: 0 };
}

/** Marks the user's notifications read: the given ids, or all when ids is null. Returns how many matched. */
export async function markNotificationsRead(
  db: Queryable,
  accountId: number,
  userId: number,
  ids: number[] | null,
): Promise<number> {
  const which = ids === null ? sql.empty : sql` AND id = ANY(${ids}::bigint[])`;
  return db.execute(sql`
    UPDATE notifications SET read_at = coalesce(read_at, now())
    WHERE account_id = ${accountId} AND user_id = ${userId} AND dismissed_at IS NULL${which}`);
}

/** Dismisses the user's notifications: one id, or all when id is null. Returns how many it dismissed. */
export async function dismissNotifications(
  db: Queryable,
  accountId: number,
  userId: number,
  id: number | null,
): Promise<number> {
  const which = id === null ? sql.empty : sql` AND id = ${id}`;
  return db.execute(sql`
    UPDATE notifications SET dismissed_at = now()
    WHERE account_id = ${accountId} AND user_id = ${userId} AND dismissed_at IS NULL${which}`);
}
