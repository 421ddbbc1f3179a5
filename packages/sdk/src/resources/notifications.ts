import type { APIClient } from "../client.js";
import type { PageParams } from "../linked-types.js";
import type {
  Notification,
  NotificationDismissed,
  NotificationListExtras,
  NotificationStreamOptions,
  NotificationsDismissed,
  NotificationsRead,
} from "../notification-types.js";
import type { PagePromise } from "../pagination.js";
import type { ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";
import { NotificationStream } from "./notification-stream.js";
import { skipPaged } from "./paged.js";

/**
 * The calling user's own notifications (mentions, assignments, ...). Every call sees only the
 * caller's: another user's notification id is a NotFoundError and changes nothing.
 */
export class Notifications {
  constructor(private readonly client: APIClient) {}

  /**
   * Newest first. Await for one page, which also carries `total` (not dismissed) and `unread_count`,
   * or `for await` over every notification (pages by skip).
   */
  list(params: PageParams = {}, options?: RequestOptions): PagePromise<Notification, NotificationListExtras> {
    const { limit, skip } = params;
    return skipPaged(this.client, () => "/notifications", { limit, skip }, options);
  }

  /**
   * Marks these notifications read, or all of them when no ids are given (an empty list marks none).
   * All or nothing: an id that is not the caller's is a NotFoundError and nothing is marked.
   */
  async markRead(ids?: ID[], options?: RequestOptions): Promise<NotificationsRead> {
    const body = ids === undefined ? {} : { ids: ids.map(String) };
    return this.client.request({ method: "POST", path: "/notifications/read", body, options });
  }

  /** Removes one notification from the caller's list. */
  async dismiss(id: ID, options?: RequestOptions): Promise<NotificationDismissed> {
    return this.client.request({ method: "DELETE", path: `/notifications/${idPath(id)}`, options });
  }

  /** Removes all the caller's notifications; `count` says how many. */
  async dismissAll(options?: RequestOptions): Promise<NotificationsDismissed> {
    return this.client.request({ method: "DELETE", path: "/notifications", options });
  }

  /**
   * New notifications as they are made, over Server-Sent Events; see NotificationStream. With
   * `lastEventId` it first replays those after that one, e.g. after a restart of the caller.
   */
  stream(options: NotificationStreamOptions = {}): NotificationStream {
    return new NotificationStream(this.client, options);
  }
}
