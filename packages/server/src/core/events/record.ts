import { insertActivities, type NewActivity } from "../../store/activities.js";
import type { Queryable } from "../../store/database.js";
import { insertEvents, insertHistoryWithEvents, type NewEvent } from "../../store/events.js";
import { activeWebhooksOf, lockSubscriptions } from "../../store/webhooks.js";
import { typeCanNotify } from "../notifications/notification.js";
import { subscribes } from "../webhooks/event-types.js";

/**
 * The one way core records that something happened, inside the transaction that did it: an
 * entry in the contact's or conversation's history and an event in the outbox. Both commit or
 * roll back with the change itself, so a rolled-back change emits nothing and a committed one
 * cannot be lost.
 */
export async function recordChanges(tx: Queryable, accountId: number, changes: NewActivity[]): Promise<void> {
  await insertHistoryWithEvents(
    tx,
    accountId,
    changes.map((change) => ({ ...change, dispatched: false })),
  );
}

/**
 * recordChanges for many changes at once (an import's batch). An event nobody can hear (its type
 * notifies no one and no active webhook of the account subscribes to it) is recorded already
 * dispatched: the dispatcher then neither rewrites it nor reads it back, which was a third of the
 * database's work for an import of new contacts. The account's subscriptions are held still
 * until the transaction ends, so an endpoint subscribed before these changes commit hears them.
 */
export async function recordBulkChanges(tx: Queryable, accountId: number, changes: NewActivity[]): Promise<void> {
  if (changes.length === 0) return;
  await lockSubscriptions(tx, accountId, "shared");
  const webhooks = await activeWebhooksOf(tx, [accountId]);
  const heard = (change: NewActivity) =>
    typeCanNotify(change.action) ||
    webhooks.some((webhook) => subscribes(webhook, { type: change.action, data: change.details ?? {} }));
  await insertHistoryWithEvents(
    tx,
    accountId,
    changes.map((change) => ({ ...change, dispatched: !heard(change) })),
  );
}

/** History entries with no event, for what webhooks and followers hear of through another event. */
export async function recordHistory(tx: Queryable, accountId: number, entries: NewActivity[]): Promise<void> {
  await insertActivities(tx, accountId, entries);
}

/** Events with no history entry, for subjects that are gone (a deleted contact has no history). */
export async function recordEvents(tx: Queryable, accountId: number, events: NewEvent[]): Promise<void> {
  await insertEvents(tx, accountId, events);
}
