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

/**
 * Who an event concerns. A user is never notified of their own action.
 * - comment.mentioned: each mentioned user ("mention");
 * - conversation.assigned: the new assignee ("conversation_assigned").
 */
export function notificationsFor(event: EventRow): NewNotification[] {
  const base = {
    eventId: event.id,
    actorId: event.actor_id,
    contactId: event.contact_id,
    conversationId: event.conversation_id,
  };
  const users = (ids: unknown[]) =>
    ids.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0 && id !== event.actor_id);
  switch (event.type) {
    case "comment.mentioned":
      return users((event.data.user_ids as unknown[]) ?? []).map((userId) => ({
        ...base,
        userId,
        type: "mention",
        data: { comment_id: event.data.comment_id },
      }));
    case "conversation.assigned":
      return users(event.data.to == null ? [] : [event.data.to]).map((userId) => ({
        ...base,
        userId,
        type: "conversation_assigned",
        data: { from: event.data.from ?? null },
      }));
    default:
      return [];
  }
}
