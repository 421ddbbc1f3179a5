import type { APIClient } from "../client.js";
import type { Label, ListResponse, RequestOptions } from "../types.js";

/** The account's labels. */
export class Labels {
  constructor(private readonly client: APIClient) {}

  /** Every label of the account with its contact count (the server sends them in one page). */
  async list(options?: RequestOptions): Promise<Label[]> {
    const page = await this.client.request<ListResponse<Label>>({ method: "GET", path: "/labels", options });
    return page.data;
  }
}
