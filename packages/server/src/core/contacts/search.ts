import { searchContacts as searchContactRows } from "../../store/contact-search.js";
import { countContacts } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import type { Contact, Direction, SortKey } from "./contact.js";
import { withContactInboxes } from "./get.js";
import { checkLimit, defaultDirection } from "./list.js";
import { phoneDigits } from "./normalize.js";
import type { SearchSampleCache } from "./search-sample.js";

export interface SearchInput {
  q: string;
  limit?: number;
  skip?: number;
  labels?: string[];
  includeContactInboxes?: boolean;
  /** Order by this key instead of by relevance. */
  sort?: SortKey;
  /** With `sort`; the key's natural direction when left out. */
  direction?: Direction;
  /** Also count every match (one more query). */
  withTotal?: boolean;
}

export interface SearchPage {
  data: Contact[];
  hasMore: boolean;
  /** Set when asked for with `withTotal`. */
  total?: number;
}

export const MAX_TERM = 200;

export async function searchContacts(
  deps: CoreDeps,
  samples: SearchSampleCache,
  actor: Actor,
  input: SearchInput,
): Promise<SearchPage> {
  const limit = checkLimit(input.limit);
  const errors = new FieldErrors();
  const term = searchTerm(input.q);
  if (term === "") errors.add("q", "required", "give a search term");
  else if (term.length > MAX_TERM) errors.add("q", "too_long", `must be at most ${MAX_TERM} characters`);
  const labels = normalizeLabels(input.labels ?? [], errors);
  errors.throwIfAny();
  const digits = phoneDigits(term);
  const sort = input.sort ? { key: input.sort, direction: input.direction ?? defaultDirection(input.sort) } : undefined;
  const [rows, total] = await Promise.all([
    searchContactRows(
      deps.db,
      actor.accountId,
      { term, digits, labels, limit: limit + 1, skip: input.skip ?? 0, sort },
      await samples.current(),
    ),
    input.withTotal ? countContacts(deps.db, actor.accountId, { labels, term, digits }) : undefined,
  ]);
  const contacts = rows.slice(0, limit);
  return {
    data: input.includeContactInboxes ? await withContactInboxes(deps.db, actor.accountId, contacts) : contacts,
    hasMore: rows.length > limit,
    ...(total === undefined ? {} : { total }),
  };
}

/** A search term as it is matched: lower-cased, trimmed, control characters (which can never match) as spaces. */
export function searchTerm(q: string): string {
  return q
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .trim()
    .toLowerCase();
}
