import type { PageParams } from "./linked-types.js";

/** Wire types of webhooks, their deliveries and the events they carry (snake_case, string ids). */

/** Known event types; others may appear as the server grows. */
export type WebhookEventType =
  | "contact.created"
  | "contact.updated"
  | "contact.deleted"
  | "contact.merged"
  | "contact.labels_changed"
  | "contact_inbox.created"
  | "avatar.changed"
  | "comment.created"
  | "comment.updated"
  | "comment.deleted"
  | "comment.mentioned"
  | "file.added"
  | "file.deleted"
  | "conversation.created"
  | "conversation.assigned"
  | "conversation.status_changed"
  | "conversation.labels_changed"
  | "import.finished"
  | "export.ready"
  | "export.failed";

/** What a webhook subscribes to: event types, or "*" for every event. */
export type WebhookEventFilter = WebhookEventType | "*" | (string & {});

/** An endpoint the server POSTs account events to, signed with its secret. */
export interface Webhook {
  object_name: "webhook";
  id: string;
  url: string;
  events: WebhookEventFilter[];
  description: string;
  /** Also send contact.updated when only fields the server maintains (last_activity_at) moved. */
  include_system_changes: boolean;
  /** While inactive, deliveries wait instead of being sent. */
  active: boolean;
  created_at: string;
  updated_at: string;
  /**
   * The signing secret (`whsec_…`), for `verifyWebhook`. Only in the answers of `create` and
   * `rotateSecret`: keep it then, it cannot be read again.
   */
  secret?: string;
}

export interface WebhookCreateParams {
  url: string;
  events: WebhookEventFilter[];
  description?: string;
  /** Default false. */
  include_system_changes?: boolean;
  /** Default true. */
  active?: boolean;
}

/** Only given fields change. */
export type WebhookUpdateParams = Partial<WebhookCreateParams>;

export interface WebhookDeleted {
  object_name: "webhook";
  id: string;
  deleted: true;
}

/** What the webhook lists add to the list envelope. */
export interface WebhookListExtras {
  total: number;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

/** One event on its way to one webhook, with however many attempts it took. */
export interface WebhookDelivery {
  object_name: "webhook_delivery";
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: WebhookEventType | (string & {});
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When a pending delivery is tried next. */
  next_attempt_at: string | null;
  /** The HTTP status of the last attempt; null when it got no answer. */
  last_status_code: number | null;
  /** Why the last attempt failed, when it did. */
  last_error: string | null;
  created_at: string;
  /** When it was delivered or given up on. */
  finished_at: string | null;
}

export interface WebhookDeliveryListParams extends PageParams {
  status?: WebhookDeliveryStatus;
}

/** One HTTP request of a delivery. */
export interface WebhookAttempt {
  object_name: "webhook_attempt";
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  started_at: string;
  duration_ms: number;
  /** null when no answer came (refused, timed out, ...). */
  status_code: number | null;
  error: string | null;
  /** The start of the receiver's answer, for debugging. */
  response_body: string | null;
}

/** A field's change in `contact.updated`. */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** The `data` of a `contact.updated` event. */
export interface ContactUpdatedData {
  changes: Record<string, FieldChange>;
  changed_fields: string[];
  [key: string]: unknown;
}

/** The JSON body of a webhook request, as `verifyWebhook` returns it. */
export interface WebhookEvent<Data extends Record<string, unknown> = Record<string, unknown>> {
  /** The event id; the same on every retry, so receivers can drop duplicates by it. */
  id: string;
  type: WebhookEventType | (string & {});
  /** When the event happened (ISO 8601). */
  timestamp: string;
  account_id: string;
  /** Who caused it; null for the system itself. */
  actor: { id: string } | null;
  subject: { contact_id: string | null; conversation_id: string | null };
  /** Depends on the type; see ContactUpdatedData for `contact.updated`. */
  data: Data;
}

/** The headers that sign a webhook request (a type, not an interface, so it passes as a header record). */
export type WebhookSignatureHeaders = {
  "webhook-id": string;
  /** Seconds since the epoch. */
  "webhook-timestamp": string;
  /** `v1,<base64>` entries separated by spaces; one matching entry suffices. */
  "webhook-signature": string;
};

/** Request headers as `Headers`, or as a plain object such as Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface WebhookVerifyOptions {
  /** How far the timestamp may be from now, either way, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The time to check against; default the current time. */
  now?: Date;
}
