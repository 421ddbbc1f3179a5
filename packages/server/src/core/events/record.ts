import { insertActivities, type NewActivity } from "../../store/activities.js";
import type { Queryable } from "../../store/database.js";
import { insertEvents, type NewEvent } from "../../store/events.js";

/**
 * The one way core records that something happened, inside the transaction that did it: an
 * entry in the contact's or conversation's history and an event in the outbox. Both commit or
 * roll back with the change itself, so a rolled-back change emits nothing and a committed one
 * cannot be lost.
 */
export async function recordChanges(tx: Queryable, accountId: number, changes: NewActivity[]): Promise<void> {
  await insertActivities(tx, accountId, changes);
  await insertEvents(tx, accountId, changes.map(eventOf));
}

/** History entries with no event, for what webhooks and followers hear of through another event. */
export async function recordHistory(tx: Queryable, accountId: number, entries: NewActivity[]): Promise<void> {
  await insertActivities(tx, accountId, entries);
}

/** Events with no history entry, for subjects that are gone (a deleted contact has no history). */
export async function recordEvents(tx: Queryable, accountId: number, events: NewEvent[]): Promise<void> {
  await insertEvents(tx, accountId, events);
}

function eventOf(change: NewActivity): NewEvent {
  return {
    type: change.action,
    actorId: change.actorId,
    contactId: change.contactId,
    conversationId: change.conversationId ?? null,
    data: change.details ?? {},
  };
}
