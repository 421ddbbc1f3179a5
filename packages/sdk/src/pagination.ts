import { ContactdError } from "./errors.js";
import type { ListResponse } from "./types.js";

/** Where a page starts: a keyset cursor or an offset. */
export interface PagePosition {
  cursor?: string | undefined;
  skip?: number | undefined;
}

/** No envelope fields beyond the standard ones. */
export type NoExtras = Record<never, never>;

/**
 * Fetches the page at a position. The resource closes over the caller's filters, sort and
 * request options, so every page of one listing is asked for the same way. `E` types the envelope
 * fields some lists add, e.g. `{ total: number }`.
 */
export type PageLoader<T, E extends object = NoExtras> = (position: PagePosition) => Promise<ListResponse<T> & E>;

/** A page with its list's extra envelope fields (`total`, `unread_count`, ...) readable on it. */
export type PageOf<T, E extends object = NoExtras> = Page<T, E> & Readonly<E>;

/**
 * How the next page is found: "cursor" follows `next_cursor` verbatim (constant cost at any depth);
 * "skip" adds the rows seen to the offset, for callers who started with `skip` and for search,
 * which has no cursor.
 */
export type PagingStyle = "cursor" | "skip";

/**
 * One page of a list, with the raw envelope fields; async-iterable over its items and all later pages'.
 * Fields a list adds to the envelope (a `total`, the notifications' `unread_count`) are copied onto
 * the page as sent, so they read like the standard ones.
 */
export class Page<T, E extends object = NoExtras> implements AsyncIterable<T> {
  readonly object_name = "list" as const;
  readonly data: T[];
  readonly has_more: boolean;
  readonly next_cursor: string | null;
  readonly #loader: PageLoader<T, E>;
  readonly #style: PagingStyle;
  readonly #position: PagePosition;

  constructor(body: ListResponse<T> & E, loader: PageLoader<T, E>, style: PagingStyle, position: PagePosition) {
    // A field named like a member (a method, say) is left out rather than allowed to shadow it.
    for (const [name, value] of Object.entries(body)) {
      if (!(name in this)) Object.defineProperty(this, name, { value, enumerable: true });
    }
    this.data = body.data;
    this.has_more = body.has_more;
    this.next_cursor = body.next_cursor ?? null;
    this.#loader = loader;
    this.#style = style;
    this.#position = position;
  }

  /** Where the next page starts, or null on the last page. */
  nextPagePosition(): PagePosition | null {
    if (!this.has_more) return null;
    if (this.#style === "cursor") return this.next_cursor ? { cursor: this.next_cursor } : null;
    // An empty page that claims more would page forever at the same offset.
    if (this.data.length === 0) return null;
    return { skip: (this.#position.skip ?? 0) + this.data.length };
  }

  hasNextPage(): boolean {
    return this.nextPagePosition() !== null;
  }

  async getNextPage(): Promise<PageOf<T, E>> {
    const position = this.nextPagePosition();
    if (position === null) throw new ContactdError("There is no next page; check hasNextPage() first");
    return loadPage(this.#loader, this.#style, position);
  }

  /** This page and every later one, fetched as the loop asks for them. */
  async *iterPages(): AsyncGenerator<PageOf<T, E>, void, undefined> {
    // The constructor copied the extra fields onto every page.
    let page = this as unknown as PageOf<T, E>;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.iterPages()) yield* page.data;
  }
}

export async function loadPage<T, E extends object = NoExtras>(
  loader: PageLoader<T, E>,
  style: PagingStyle,
  position: PagePosition,
): Promise<PageOf<T, E>> {
  return new Page(await loader(position), loader, style, position) as PageOf<T, E>;
}

/**
 * What list methods return: await it for the first page, or `for await` over it for every item
 * across all pages. The first request starts at once, like any other method's.
 */
export class PagePromise<T, E extends object = NoExtras> implements PromiseLike<PageOf<T, E>>, AsyncIterable<T> {
  readonly #page: Promise<PageOf<T, E>>;

  constructor(page: Promise<PageOf<T, E>>) {
    this.#page = page;
  }

  // biome-ignore lint/suspicious/noThenProperty: being awaitable is the point of this class.
  then<R1 = PageOf<T, E>, R2 = never>(
    onfulfilled?: ((page: PageOf<T, E>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#page.then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<PageOf<T, E> | R> {
    return this.#page.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<PageOf<T, E>> {
    return this.#page.finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    yield* await this.#page;
  }

  get [Symbol.toStringTag](): string {
    return "PagePromise";
  }
}
