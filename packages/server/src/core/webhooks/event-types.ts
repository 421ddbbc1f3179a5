import type { EventRow } from "../../store/events.js";

/** Every event type an endpoint may subscribe to; "*" subscribes to all of them. */
export const EVENT_TYPES = [
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.merged",
  "contact.labels_changed",
  "contact_inbox.created",
  "avatar.changed",
  "comment.created",
  "comment.updated",
  "comment.deleted",
  "comment.mentioned",
  "file.added",
  "file.deleted",
  "conversation.created",
  "conversation.assigned",
  "conversation.status_changed",
  "conversation.labels_changed",
  "import.finished",
  "export.ready",
  "export.failed",
] as const;

export const ALL_EVENTS = "*";

/** A change the system made by itself (the last activity time moving), not a person's edit. */
export function isSystemOnly(event: Pick<EventRow, "type" | "data">): boolean {
  return event.type === "contact.updated" && event.data.system === true;
}

/** Whether an endpoint subscribed to `types` gets this event. */
export function subscribes(
  webhook: { events: string[]; include_system_changes: boolean },
  event: Pick<EventRow, "type" | "data">,
): boolean {
  if (!webhook.events.includes(ALL_EVENTS) && !webhook.events.includes(event.type)) return false;
  return webhook.include_system_changes || !isSystemOnly(event);
}
