import type { APIClient } from "../client.js";
import type { Inbox, InboxCreateParams, InboxDeleted, InboxUpdateParams } from "../linked-types.js";
import type { ID, ListResponse, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";

/** The account's inboxes (channels). Everyone may read them; administrators create, change and delete them. */
export class Inboxes {
  constructor(private readonly client: APIClient) {}

  /** Every inbox of the account, oldest first (the server sends them in one page). */
  async list(options?: RequestOptions): Promise<Inbox[]> {
    const page = await this.client.request<ListResponse<Inbox>>({ method: "GET", path: "/inboxes", options });
    return page.data;
  }

  /** Creates an inbox; administrators only (agents get PermissionDeniedError). */
  async create(params: InboxCreateParams, options?: RequestOptions): Promise<Inbox> {
    return this.client.request({ method: "POST", path: "/inboxes", body: params, options });
  }

  async get(id: ID, options?: RequestOptions): Promise<Inbox> {
    return this.client.request({ method: "GET", path: `/inboxes/${idPath(id)}`, options });
  }

  /** Renames an inbox or changes its provider; administrators only. */
  async update(id: ID, params: InboxUpdateParams, options?: RequestOptions): Promise<Inbox> {
    return this.client.request({ method: "PATCH", path: `/inboxes/${idPath(id)}`, body: params, options });
  }

  /** Deletes an inbox with its conversations and contact identities; administrators only. */
  async delete(id: ID, options?: RequestOptions): Promise<InboxDeleted> {
    return this.client.request({ method: "DELETE", path: `/inboxes/${idPath(id)}`, options });
  }
}
