import type { EventRow } from "../../store/events.js";

/** Keys in event data that are bookkeeping for dispatch, not part of what receivers are told. */
const INTERNAL_KEYS = new Set(["follower_ids"]);

export interface WebhookPayload {
  id: string;
  type: string;
  timestamp: string;
  account_id: string;
  actor: { id: string } | null;
  subject: { contact_id: string | null; conversation_id: string | null };
  data: Record<string, unknown>;
}

/**
 * What an endpoint receives for an event. Built only from the stored event, which never changes,
 * so every retry carries the same body. contact.updated lists its changed fields.
 */
export function webhookPayload(
  event: Pick<
    EventRow,
    "account_id" | "type" | "actor_id" | "contact_id" | "conversation_id" | "data" | "occurred_at"
  > & {
    event_id: number;
  },
): WebhookPayload {
  const data = Object.fromEntries(Object.entries(event.data).filter(([key]) => !INTERNAL_KEYS.has(key)));
  if (event.type === "contact.updated" && isObject(data.changes)) data.changed_fields = Object.keys(data.changes);
  const id = (value: number | null) => (value === null ? null : String(value));
  return {
    id: String(event.event_id),
    type: event.type,
    timestamp: new Date(event.occurred_at).toISOString(),
    account_id: String(event.account_id),
    actor: event.actor_id === null ? null : { id: String(event.actor_id) },
    subject: { contact_id: id(event.contact_id), conversation_id: id(event.conversation_id) },
    data,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
