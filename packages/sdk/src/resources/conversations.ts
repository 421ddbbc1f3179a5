import type { APIClient } from "../client.js";
import type {
  Activity,
  Conversation,
  ConversationCreateParams,
  ConversationListParams,
  ConversationUpdateParams,
  PageParams,
} from "../linked-types.js";
import type { PagePromise } from "../pagination.js";
import type { ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";
import { skipPaged } from "./paged.js";

/** Conversations between contacts and the account, one per contact and inbox thread. */
export class Conversations {
  constructor(private readonly client: APIClient) {}

  /** Starts a conversation with a contact in an inbox. */
  async create(params: ConversationCreateParams, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ method: "POST", path: "/conversations", body: params, options });
  }

  async get(id: ID, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ method: "GET", path: `/conversations/${idPath(id)}`, options });
  }

  /**
   * Newest activity first, filtered by contact, inbox, assignee, status and channel; await for one
   * page or `for await` over every conversation (pages by skip).
   */
  list(params: ConversationListParams = {}, options?: RequestOptions): PagePromise<Conversation> {
    const { contact_id, inbox_id, assignee_id, status, channel_types, limit, skip } = params;
    const query = { contact_id, inbox_id, assignee_id, status, channel_types, limit, skip };
    return skipPaged(this.client, () => "/conversations", query, options);
  }

  /** Changes status, assignee (null unassigns), snooze time or labels; each change is logged. */
  async update(id: ID, params: ConversationUpdateParams, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ method: "PATCH", path: `/conversations/${idPath(id)}`, body: params, options });
  }

  /** The conversation's activity log, newest first (pages by skip). */
  activities(id: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<Activity> {
    const { limit, skip } = params;
    return skipPaged(this.client, () => `/conversations/${idPath(id)}/activities`, { limit, skip }, options);
  }
}
