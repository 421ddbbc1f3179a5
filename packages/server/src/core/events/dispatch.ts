import { claimUndispatchedEvents, markDispatched } from "../../store/events.js";
import { insertNotifications } from "../../store/notifications.js";
import type { CoreDeps } from "../deps.js";
import { notificationsFor } from "../notifications/notification.js";

/**
 * Handles a batch of committed, undispatched events: makes the notifications they imply and marks
 * them dispatched, all in one transaction. Several processes may run this at once: each claims
 * different events (SKIP LOCKED). Returns how many events it handled.
 */
export async function dispatchEvents(deps: CoreDeps, batchSize = 100): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const events = await claimUndispatchedEvents(tx, batchSize);
    for (const event of events) {
      await insertNotifications(tx, event.account_id, notificationsFor(event));
    }
    await markDispatched(
      tx,
      events.map((event) => event.id),
    );
    return events.length;
  });
}

/** Dispatches until no undispatched event is left. */
export async function dispatchAllEvents(deps: CoreDeps): Promise<number> {
  let total = 0;
  for (let handled = await dispatchEvents(deps); handled > 0; handled = await dispatchEvents(deps)) total += handled;
  return total;
}
