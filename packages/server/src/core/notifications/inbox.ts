import * as store from "../../store/notifications.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { type Notification, toNotification } from "./notification.js";

/** A user's own notifications: every query is scoped to the acting user, never to anyone else's. */

export interface NotificationPage {
  data: Notification[];
  hasMore: boolean;
  total: number;
  unreadCount: number;
}

export async function listNotifications(
  deps: CoreDeps,
  actor: Actor,
  input: { limit?: number; skip?: number },
): Promise<NotificationPage> {
  const limit = checkLimit(input.limit);
  const [rows, counts] = await Promise.all([
    store.listNotifications(deps.db, actor.accountId, actor.userId, { limit: limit + 1, skip: input.skip ?? 0 }),
    store.countNotifications(deps.db, actor.accountId, actor.userId),
  ]);
  return {
    data: rows.slice(0, limit).map(toNotification),
    hasMore: rows.length > limit,
    total: counts.total,
    unreadCount: counts.unread,
  };
}

/** Marks the given notifications read (all of them when ids is undefined); an id not the user's is a 404 and changes nothing. */
export async function markNotificationsRead(deps: CoreDeps, actor: Actor, ids: number[] | undefined): Promise<void> {
  const wanted = ids === undefined ? null : [...new Set(ids)];
  await deps.db.transaction(async (tx) => {
    const changed = await store.markNotificationsRead(tx, actor.accountId, actor.userId, wanted);
    if (wanted !== null && changed !== wanted.length) throw new NotFoundError("notification");
  });
}

export async function dismissNotification(deps: CoreDeps, actor: Actor, id: number): Promise<void> {
  await dismissNotifications(deps, actor, [id]);
}

/** Dismisses the given notifications, all or none: an id not the user's (or already dismissed) is a 404. */
export async function dismissNotifications(deps: CoreDeps, actor: Actor, ids: number[]): Promise<void> {
  const wanted = [...new Set(ids)];
  await deps.db.transaction(async (tx) => {
    const dismissed = await store.dismissNotifications(tx, actor.accountId, actor.userId, wanted);
    if (dismissed !== wanted.length) throw new NotFoundError("notification");
  });
}

export async function dismissAllNotifications(deps: CoreDeps, actor: Actor): Promise<number> {
  return store.dismissNotifications(deps.db, actor.accountId, actor.userId, null);
}
