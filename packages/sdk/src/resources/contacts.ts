import type { APIClient } from "../client.js";
import { loadPage, type PageLoader, PagePromise } from "../pagination.js";
import type {
  Contact,
  ContactCreateParams,
  ContactDeleted,
  ContactListParams,
  ContactLookupParams,
  ContactSearchParams,
  ContactUpdateParams,
  ID,
  ListResponse,
  RequestOptions,
} from "../types.js";
import { ContactLabels } from "./contact-labels.js";
import { idPath } from "./ids.js";

export class Contacts {
  /** The labels of one contact: `client.contacts.labels.add(id, ["vip"])`. */
  readonly labels: ContactLabels;

  constructor(private readonly client: APIClient) {
    this.labels = new ContactLabels(client);
  }

  /** Creates a contact. Retries reuse one Idempotency-Key, so a lost response cannot create it twice. */
  create(params: ContactCreateParams = {}, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "POST", path: "/contacts", body: params, options });
  }

  async get(id: ID, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "GET", path: `/contacts/${idPath(id)}`, options });
  }

  /** Changes only the given fields (PATCH). */
  async update(id: ID, params: ContactUpdateParams, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "PATCH", path: `/contacts/${idPath(id)}`, body: params, options });
  }

  /** Deletes a contact; administrators only (agents get PermissionDeniedError). */
  async delete(id: ID, options?: RequestOptions): Promise<ContactDeleted> {
    return this.client.request({ method: "DELETE", path: `/contacts/${idPath(id)}`, options });
  }

  /**
   * Lists contacts. Await for one page, or `for await` over the result for every contact: paging
   * follows `next_cursor`, or continues by `skip` when the first call gave `skip`.
   */
  list(params: ContactListParams = {}, options?: RequestOptions): PagePromise<Contact> {
    const { limit, sort, direction, labels, cursor, skip } = params;
    const loader: PageLoader<Contact> = (position) =>
      this.client.request<ListResponse<Contact>>({
        method: "GET",
        path: "/contacts",
        query: { limit, sort, direction, labels, cursor: position.cursor, skip: position.skip },
        options,
      });
    return new PagePromise(loadPage(loader, skip === undefined ? "cursor" : "skip", { cursor, skip }));
  }

  /** Case-insensitive substring search, best matches first; pages by skip (search has no cursor). */
  search(query: string | ContactSearchParams, options?: RequestOptions): PagePromise<Contact> {
    const { q, limit, labels, skip } = typeof query === "string" ? ({ q: query } as ContactSearchParams) : query;
    const loader: PageLoader<Contact> = (position) =>
      this.client.request<ListResponse<Contact>>({
        method: "GET",
        path: "/contacts/search",
        query: { q, limit, labels, skip: position.skip },
        options,
      });
    return new PagePromise(loadPage(loader, "skip", { skip }));
  }

  /** The contact with exactly this email, phone number or identifier; NotFoundError when none. */
  lookup(params: ContactLookupParams, options?: RequestOptions): Promise<Contact> {
    const { email, phone_number, identifier } = params;
    return this.client.request({
      method: "GET",
      path: "/contacts/lookup",
      query: { email, phone_number, identifier },
      options,
    });
  }
}
