import type { APIClient, Query } from "../client.js";
import { loadPage, type NoExtras, type PageLoader, PagePromise } from "../pagination.js";
import type { ListResponse, RequestOptions } from "../types.js";

/**
 * A GET listing that pages by limit + skip only (the server sends no cursor): every page asks
 * with the same query, and auto-pagination adds the rows seen to `skip`. The path is built per
 * request, so a bad id rejects the returned promise instead of throwing at the call. `E` types the
 * envelope fields the list adds, such as `total`.
 */
export function skipPaged<T, E extends object = NoExtras>(
  client: APIClient,
  path: () => string,
  query: Query & { skip?: number | undefined },
  options: RequestOptions | undefined,
): PagePromise<T, E> {
  const { skip, ...filters } = query;
  const loader: PageLoader<T, E> = async (position) =>
    client.request<ListResponse<T> & E>({
      method: "GET",
      path: path(),
      query: { ...filters, skip: position.skip },
      options,
    });
  return new PagePromise(loadPage(loader, "skip", { skip }));
}
