import type { APIClient } from "../client.js";
import type { ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";

/** The labels of one contact. Every verb answers with the contact's labels afterwards. */
export class ContactLabels {
  constructor(private readonly client: APIClient) {}

  async list(contactId: ID, options?: RequestOptions): Promise<string[]> {
    return this.call("GET", contactId, undefined, options);
  }

  /** Replaces the contact's labels with exactly these. */
  async set(contactId: ID, labels: string[], options?: RequestOptions): Promise<string[]> {
    return this.call("PUT", contactId, labels, options);
  }

  /** Adds labels, creating any the account does not have yet. */
  async add(contactId: ID, labels: string[], options?: RequestOptions): Promise<string[]> {
    return this.call("POST", contactId, labels, options);
  }

  async remove(contactId: ID, labels: string[], options?: RequestOptions): Promise<string[]> {
    return this.call("DELETE", contactId, labels, options);
  }

  private async call(
    method: "GET" | "PUT" | "POST" | "DELETE",
    contactId: ID,
    labels: string[] | undefined,
    options: RequestOptions | undefined,
  ): Promise<string[]> {
    const body = labels === undefined ? undefined : { labels };
    const answer = await this.client.request<{ labels: string[] }>({
      method,
      path: `/contacts/${idPath(contactId)}/labels`,
      body,
      options,
    });
    return answer.labels;
  }
}
