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
    changes.map((change) => ({ ...change, withEvent: true })),
  );
}

/** Whether anyone could hear of a change: decides if it needs an event at all. */
export interface Audience {
  hears(change: NewActivity): boolean;
  /** Whether anyone hears of a contact's creation, which does not depend on the contact. */
  hearsCreations: boolean;
}

/**
 * Who could hear of the account's changes: any change whose type notifies someone, and those an
 * active webhook subscribes to. The account's subscriptions are held still until the transaction
 * ends (webhook changes wait for it), so an endpoint subscribed before its changes commit hears them.
 */
export async function audienceOf(tx: Queryable, accountId: number): Promise<Audience> {
  await lockSubscriptions(tx, accountId, "shared");
  const webhooks = await activeWebhooksOf(tx, [accountId]);
  const hears = (type: string, data: Record<string, unknown>) =>
    typeCanNotify(type) || webhooks.some((webhook) => subscribes(webhook, { type, data }));
  return {
    hears: (change) => hears(change.action, change.details ?? {}),
    hearsCreations: hears("contact.created", {}),
  };
}

/**
 * recordChanges for many changes at once (an import's batch), where a change its audience cannot
 * hear gets its history entry but no event: the outbox is there to be dispatched, and such an
 * event would come to nothing, after costing the database a row, its index entries, and the
 * dispatcher's pass over it (for an import of new contacts, about as much as all its writes but
 * the contacts').
 */
export async function recordBulkChanges(
  tx: Queryable,
  accountId: number,
  changes: NewActivity[],
  audience: Audience,
): Promise<void> {
  await insertHistoryWithEvents(
    tx,
    accountId,
    changes.map((change) => ({ ...change, withEvent: audience.hears(change) })),
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
