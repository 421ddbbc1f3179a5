import type { Queryable } from "../../store/database.js";
import { claimUndispatchedEvents, type EventRow, hasUndispatchedEvents, lockDispatch } from "../../store/events.js";
import { followersOfContacts } from "../../store/followers.js";
import { insertNotifications, type NewNotification } from "../../store/notifications.js";
import { activeWebhooksOf, insertDeliveries, type NewDelivery, type WebhookRow } from "../../store/webhooks.js";
import type { CoreDeps } from "../deps.js";
import { notificationsFor } from "../notifications/notification.js";
import { subscribes } from "../webhooks/event-types.js";

/**
 * Events handled per transaction. Each transaction has a fixed cost (the lock, the subscriber
 * lookups, a commit); an import writes 500 events per batch, which one transaction then takes.
 */
const DISPATCH_BATCH = 1000;

/**
 * Handles a batch of committed, undispatched events in one transaction: claims them (which marks
 * them dispatched) and makes the notifications they imply and the webhook deliveries they call
 * for. Dispatchers of all processes take turns (an advisory lock), which keeps notification ids
 * in commit order. A crash before commit leaves the events undispatched for the next turn; the
 * unique keys of notifications and deliveries make a repeat harmless. Returns how many it handled.
 */
export async function dispatchEvents(deps: CoreDeps, batchSize = DISPATCH_BATCH): Promise<number> {
  return deps.db.transaction(async (tx) => {
    await lockDispatch(tx);
    const events = await claimUndispatchedEvents(tx, batchSize);
    if (events.length === 0) return 0;
    for (const [accountId, ofAccount] of byAccount(events)) {
      await insertNotifications(tx, accountId, await notificationsOf(tx, accountId, ofAccount));
    }
    const webhooks = await activeWebhooksOf(tx, [...new Set(events.map((event) => event.account_id))]);
    await insertDeliveries(tx, deliveriesOf(events, webhooks));
    return events.length;
  });
}

/**
 * Dispatches until no undispatched event is left. The background loop calls this every second,
 * so when nothing is due it costs one prepared statement.
 */
export async function dispatchAllEvents(deps: CoreDeps): Promise<number> {
  if (!(await hasUndispatchedEvents(deps.db))) return 0;
  let total = 0;
  for (let handled = await dispatchEvents(deps); handled > 0; handled = await dispatchEvents(deps)) total += handled;
  return total;
}

function byAccount(events: EventRow[]): Map<number, EventRow[]> {
  const groups = new Map<number, EventRow[]>();
  for (const event of events) groups.set(event.account_id, [...(groups.get(event.account_id) ?? []), event]);
  return groups;
}

async function notificationsOf(tx: Queryable, accountId: number, events: EventRow[]): Promise<NewNotification[]> {
  const contactIds = [...new Set(events.flatMap((event) => (event.contact_id === null ? [] : [event.contact_id])))];
  const followers = await followersOfContacts(tx, accountId, contactIds);
  return events.flatMap((event) => notificationsFor(event, followersOf(event, followers)));
}

/**
 * Who followed the event's contact when it happened: a follow that started later (by the time the
 * event is dispatched) does not reach back. A deleted contact's event carries its followers.
 */
function followersOf(event: EventRow, followers: Map<number, Array<{ userId: number; since: Date }>>): number[] {
  if (Array.isArray(event.data.follower_ids)) return event.data.follower_ids.map(Number);
  const occurred = new Date(event.occurred_at).getTime();
  return (event.contact_id === null ? [] : (followers.get(event.contact_id) ?? []))
    .filter((follower) => new Date(follower.since).getTime() < occurred)
    .map((follower) => follower.userId);
}

function deliveriesOf(events: EventRow[], webhooks: WebhookRow[]): NewDelivery[] {
  return events.flatMap((event) =>
    webhooks
      .filter((webhook) => webhook.account_id === event.account_id && subscribes(webhook, event))
      .map((webhook) => ({
        accountId: event.account_id,
        webhookId: webhook.id,
        eventId: event.id,
        orderingKey: event.contact_id,
      })),
  );
}
