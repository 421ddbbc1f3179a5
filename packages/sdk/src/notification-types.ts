import type { UserRef } from "./linked-types.js";
import type { ID } from "./types.js";

/** Wire types of a user's notifications (snake_case, string ids, as in types.ts). */

/** Known kinds; others may appear as the server grows. */
export type NotificationType =
  | "mention"
  | "conversation_assigned"
  | "contact_activity"
  | "import_finished"
  | "export_ready"
  | "export_failed";

/** Something that concerns the calling user, made from an account event. */
export interface Notification {
  object_name: "notification";
  /** Increases with every new notification, which is what lets a stream resume after one. */
  id: string;
  type: NotificationType | (string & {});
  /** The account event it was made from. */
  event_id: string;
  /** Who caused it; null when the user is gone. */
  actor: UserRef | null;
  contact_id: string | null;
  conversation_id: string | null;
  /** Depends on the type, e.g. `{ comment_id }` for a mention, `{ from }` for an assignment. */
  data: Record<string, unknown>;
  read: boolean;
  /** ISO 8601. */
  created_at: string;
}

/** What the notifications list adds to the list envelope. */
export interface NotificationListExtras {
  /** Notifications not dismissed. */
  total: number;
  unread_count: number;
}

export interface NotificationsRead {
  object_name: "notifications.read";
  ok: true;
}

export interface NotificationDismissed {
  object_name: "notification.dismissed";
  ok: true;
}

export interface NotificationsDismissed {
  object_name: "notifications.dismissed";
  ok: true;
  /** How many were dismissed. */
  count: number;
}

/** `client.notifications.stream(options)`. */
export interface NotificationStreamOptions {
  /**
   * Resume after this notification: every notification with a greater id that was not dismissed is
   * replayed before live ones. Without it the stream starts with what happens from now on.
   */
  lastEventId?: ID;
  /** Ends the stream, like `close()`. */
  signal?: AbortSignal;
  /**
   * Reconnect after a dropped connection, a 5xx or a 429, resuming after the last notification
   * received. Default true; when false, the stream ends with the first connection.
   */
  reconnect?: boolean;
  /**
   * Milliseconds to wait for each connection's response headers (default: the client's `timeout`).
   * An open stream never times out; the server's keep-alives show it is still there.
   */
  timeout?: number;
  /** Extra headers for every connection. */
  headers?: Record<string, string>;
}

/** A user who follows a contact, and so is notified of what others do to it. */
export interface Follower {
  object_name: "follower";
  user: UserRef;
  /** ISO 8601: when they started following. */
  since: string;
}

/** A contact's followers: `{object_name: "list", data, has_more: false, next_cursor: null, total}`. */
export interface FollowerList {
  object_name: "list";
  data: Follower[];
  has_more: false;
  next_cursor: null;
  total: number;
}
