import { searchContacts as searchContactRows } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import type { Contact } from "./contact.js";
import { withContactInboxes } from "./get.js";
import { checkLimit } from "./list.js";
import { phoneDigits } from "./normalize.js";

export interface SearchInput {
  q: string;
  limit?: number;
  skip?: number;
  labels?: string[];
  includeContactInboxes?: boolean;
}

export interface SearchPage {
  data: Contact[];
  hasMore: boolean;
}

export const MAX_TERM = 200;

export async function searchContacts(deps: CoreDeps, actor: Actor, input: SearchInput): Promise<SearchPage> {
  const limit = checkLimit(input.limit);
  const errors = new FieldErrors();
  const term = searchTerm(input.q);
  if (term === "") errors.add("q", "required", "give a search term");
  else if (term.length > MAX_TERM) errors.add("q", "too_long", `must be at most ${MAX_TERM} characters`);
  const labels = normalizeLabels(input.labels ?? [], errors);
  errors.throwIfAny();
  const rows = await searchContactRows(deps.db, actor.accountId, {
    term,
    digits: phoneDigits(term),
    labels,
    limit: limit + 1,
    skip: input.skip ?? 0,
  });
  const contacts = rows.slice(0, limit);
  return {
    data: input.includeContactInboxes ? await withContactInboxes(deps.db, actor.accountId, contacts) : contacts,
    hasMore: rows.length > limit,
  };
}

/** A search term as it is matched: lower-cased, trimmed, control characters (which can never match) as spaces. */
export function searchTerm(q: string): string {
  return q
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .trim()
    .toLowerCase();
}
