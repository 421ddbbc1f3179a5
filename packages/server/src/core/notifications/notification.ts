import type { EventRow } from "../../store/events.js";
import type { NewNotification, NotificationRow } from "../../store/notifications.js";

/** Something that concerns one user, made from an event. */
export interface Notification {
  id: number;
  type: string;
  eventId: number;
  actor: { id: number; name: string } | null;
  contactId: number | null;
  conversationId: number | null;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: Date;
}

export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    type: row.type,
    eventId: row.event_id,
    actor: row.actor_id === null ? null : { id: row.actor_id, name: row.actor_name ?? "" },
    contactId: row.contact_id,
    conversationId: row.conversation_id,
    data: row.data,
    read: row.read_at !== null,
    createdAt: row.created_at,
  };
}

/** Events that tell a contact's followers something happened to it. */
const FOLLOWED_EVENTS = new Set([
  "contact.updated",
  "contact.labels_changed",
  "contact.deleted",
  "contact.merged",
  "comment.created",
  "file.added",
  "avatar.changed",
  "conversation.created",
  "conversation.status_changed",
]);

/** Events that report the end of the actor's own long-running work, so they go to the actor. */
const OWN_JOB_EVENTS: Record<string, string> = {
  "import.finished": "import_finished",
  "export.ready": "export_ready",
  "export.failed": "export_failed",
};

/**
 * Whether an event of this type can concern anyone, whatever its data and the contact's followers
 * (what notificationsFor below can return anything for).
 */
export function typeCanNotify(type: string): boolean {
  return (
    Object.hasOwn(OWN_JOB_EVENTS, type) ||
    type === "comment.mentioned" ||
    type === "conversation.assigned" ||
    FOLLOWED_EVENTS.has(type)
  );
}

/**
 * Who an event concerns. Apart from the actor's own jobs, nobody is notified of their own action.
 * - comment.mentioned: each mentioned user ("mention");
 * - conversation.assigned: the new assignee ("conversation_assigned");
 * - import.finished, export.ready, export.failed: the user who started it ("import_finished",
 *   "export_ready", "export_failed");
 * - what happens to a contact (FOLLOWED_EVENTS): its followers ("contact_activity"), except users
 *   a comment mentions, who get the "mention" instead. System-only changes notify nobody.
 * `followers` are the contact's followers when dispatched (a deleted contact's are in the event).
 */
export function notificationsFor(event: EventRow, followers: number[]): NewNotification[] {
  const base = {
    eventId: event.id,
    actorId: event.actor_id,
    contactId: event.contact_id,
    conversationId: event.conversation_id,
  };
  const others = (ids: unknown[]) =>
    ids.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0 && id !== event.actor_id);
  const own = OWN_JOB_EVENTS[event.type];
  if (own !== undefined) {
    return event.actor_id === null ? [] : [{ ...base, userId: event.actor_id, type: own, data: event.data }];
  }
  switch (event.type) {
    case "comment.mentioned":
      return others(listOf(event.data.user_ids)).map((userId) => ({
        ...base,
        userId,
        type: "mention",
        data: { comment_id: event.data.comment_id },
      }));
    case "conversation.assigned":
      return others(event.data.to == null ? [] : [event.data.to]).map((userId) => ({
        ...base,
        userId,
        type: "conversation_assigned",
        data: { from: event.data.from ?? null },
      }));
  }
  if (!FOLLOWED_EVENTS.has(event.type) || event.data.system === true) return [];
  const mentioned = new Set(others(listOf(event.data.mentions)));
  return others(followers)
    .filter((userId) => !mentioned.has(userId))
    .map((userId) => ({ ...base, userId, type: "contact_activity", data: activityData(event) }));
}

/** What a follower is told: the event type, and for edits which fields changed. */
function activityData(event: EventRow): Record<string, unknown> {
  const data: Record<string, unknown> = { event_type: event.type };
  const changes = event.data.changes;
  if (typeof changes === "object" && changes !== null) data.changed_fields = Object.keys(changes);
  for (const key of ["added", "removed", "comment_id", "file_id", "from", "to", "name"]) {
    if (event.data[key] !== undefined) data[key] = event.data[key];
  }
  return data;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
