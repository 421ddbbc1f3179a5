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

const NOTIFICATION = sql.raw(`n.id, n.user_id, n.type, n.event_id, n.actor_id, u.name AS actor_name, n.contact_id,
  n.conversation_id, n.data, n.read_at, n.created_at`);

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
  // The ordinal keeps ids in the given (event) order: the EXISTS join may otherwise reorder rows.
  const values = rows.map(
    (n, i) =>
      sql`(${i}::integer, ${accountId}::bigint, ${n.userId}::bigint, ${n.type}::text, ${n.eventId}::bigint, ${n.actorId}::bigint, ${n.contactId}::bigint, ${n.conversationId}::bigint, ${sql.json(n.data)})`,
  );
  await db.execute(sql`
    INSERT INTO notifications (account_id, user_id, type, event_id, actor_id, contact_id, conversation_id, data)
    SELECT v.account_id, v.user_id, v.type, v.event_id, v.actor_id, v.contact_id, v.conversation_id, v.data
    FROM (VALUES ${sql.join(values)}) AS v (n, account_id, user_id, type, event_id, actor_id, contact_id, conversation_id, data)
    WHERE EXISTS (SELECT 1 FROM users u WHERE u.account_id = v.account_id AND u.id = v.user_id)
    ORDER BY v.n
    ON CONFLICT (account_id, user_id, event_id, type) DO NOTHING`);
  // Live streams in every process learn on commit whose notifications to fetch.
  const users = [...new Set(rows.map((n) => notificationChannelKey(accountId, n.userId)))];
  await db.execute(sql`SELECT pg_notify(${NOTIFICATIONS_CHANNEL}, key) FROM unnest(${users}::text[]) AS key`);
}

/** Notified on commit with the feed key of each user who got notifications. */
export const NOTIFICATIONS_CHANNEL = "contactd_notifications";

/** The NOTIFY payload naming one user's feed. */
export function notificationChannelKey(accountId: number, userId: number): string {
  return `${accountId}:${userId}`;
}

/** The user's newest notification id (0 when none): where a live stream without Last-Event-ID starts. */
export async function latestNotificationId(db: Queryable, accountId: number, userId: number): Promise<number> {
  const [row] = await db.query<{ id: number | null }>(sql`
    SELECT max(id) AS id FROM notifications WHERE account_id = ${accountId} AND user_id = ${userId}`);
  return row?.id ?? 0;
}

/** The user's notifications after `afterId`, oldest first, for live streams catching up. */
export async function notificationsAfter(
  db: Queryable,
  accountId: number,
  userId: number,
  afterId: number,
  limit: number,
): Promise<NotificationRow[]> {
  return db.query<NotificationRow>(sql`
    SELECT ${NOTIFICATION} FROM notifications n LEFT JOIN users u ON u.account_id = n.account_id AND u.id = n.actor_id
    WHERE n.account_id = ${accountId} AND n.user_id = ${userId} AND n.dismissed_at IS NULL AND n.id > ${afterId}
    ORDER BY n.id LIMIT ${limit}`);
}

export async function listNotifications(
  db: Queryable,
  accountId: number,
  userId: number,
  page: { limit: number; skip: number },
): Promise<NotificationRow[]> {
  return db.query<NotificationRow>(sql`
    SELECT ${NOTIFICATION}
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

/** Dismisses the user's notifications: the given ids, or all when ids is null. Returns how many it dismissed. */
export async function dismissNotifications(
  db: Queryable,
  accountId: number,
  userId: number,
  ids: number[] | null,
): Promise<number> {
  const which = ids === null ? sql.empty : sql` AND id = ANY(${ids}::bigint[])`;
  return db.execute(sql`
    UPDATE notifications SET dismissed_at = now()
    WHERE account_id = ${accountId} AND user_id = ${userId} AND dismissed_at IS NULL${which}`);
}
