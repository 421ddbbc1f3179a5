import { countContacts, listContacts as listContactRows } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { BadRequestError, FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import { type Contact, DEFAULT_PAGE_SIZE, type Direction, MAX_PAGE_SIZE, type SortKey } from "./contact.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { withContactInboxes } from "./get.js";

export interface ListInput {
  limit?: number;
  skip?: number;
  cursor?: string;
  sort?: SortKey;
  direction?: Direction;
  labels?: string[];
  includeContactInboxes?: boolean;
  /** Also count every contact the listing covers (one more query). */
  withTotal?: boolean;
}

export interface ContactPage {
  data: Contact[];
  hasMore: boolean;
  nextCursor: string | null;
  /** Set when asked for with `withTotal`. */
  total?: number;
}

/** The default order: newest first, stable because id breaks ties. */
const DEFAULT_SORT: SortKey = "created_at";

export async function listContacts(deps: CoreDeps, actor: Actor, input: ListInput): Promise<ContactPage> {
  const limit = checkLimit(input.limit);
  const errors = new FieldErrors();
  const labels = normalizeLabels(input.labels ?? [], errors);
  errors.throwIfAny();
  const cursor = input.cursor === undefined ? null : decodeCursor(input.cursor);
  if (cursor && input.skip) throw new BadRequestError("cursor_and_skip", "Use either cursor or skip, not both");
  const sort = input.sort ?? cursor?.sort ?? DEFAULT_SORT;
  const direction = input.direction ?? cursor?.direction ?? defaultDirection(sort);
  if (cursor && (cursor.sort !== sort || cursor.direction !== direction)) {
    throw new BadRequestError("cursor_mismatch", "The cursor belongs to a different sort or direction");
  }
  const [rows, total] = await Promise.all([
    listContactRows(deps.db, actor.accountId, {
      sort,
      direction,
      labels,
      limit: limit + 1,
      skip: input.skip ?? 0,
      after: cursor?.position ?? null,
    }),
    input.withTotal ? countContacts(deps.db, actor.accountId, { labels }) : undefined,
  ]);
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const contacts = page.map((row) => row.contact);
  return {
    data: input.includeContactInboxes ? await withContactInboxes(deps.db, actor.accountId, contacts) : contacts,
    hasMore,
    nextCursor: hasMore && last ? encodeCursor({ sort, direction, position: last.position }) : null,
    ...(total === undefined ? {} : { total }),
  };
}

export function defaultDirection(sort: SortKey): Direction {
  return sort === "created_at" || sort === "last_activity_at" ? "desc" : "asc";
}

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    const errors = new FieldErrors();
    errors.add("limit", "out_of_range", `must be from 1 to ${MAX_PAGE_SIZE}`);
    errors.throwIfAny();
  }
  return limit;
}
