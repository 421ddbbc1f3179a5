import type { Contact, Direction, SortKey } from "../core/contacts/contact.js";
import { escapeLike, hasAnyLabel, orderBy, SORT_COLUMNS, searchMatch } from "./contact-queries.js";
import { CONTACT_COLUMNS, type ContactRow, toContact } from "./contacts.js";
import type { Queryable } from "./database.js";
import { type Sql, sql } from "./sql.js";

export interface SearchQuery {
  /** Lower-cased term with LIKE metacharacters still raw. */
  term: string;
  /** Digits when the term looks like a phone number. */
  digits: string | null;
  labels: string[];
  limit: number;
  skip: number;
  /** An explicit order instead of relevance. */
  sort?: { key: SortKey; direction: Direction };
}

const BY_RECENCY = sql`last_activity_at DESC NULLS LAST, id DESC`;

/**
 * Case-insensitive substring search ranked exact > prefix > substring, then by recent activity,
 * unless an explicit sort is asked for.
 *
 * Each rank is its own query bounded by the page's end, so no query reads every match: for a
 * common term the planner walks the activity index and stops after a page of hits; for a rare
 * one it takes the few rows the btree (exact, prefix) or trigram (substring) indexes give. A
 * single ORDER BY over a rank expression would instead fetch and sort every match.
 */
export async function searchContacts(db: Queryable, accountId: number, query: SearchQuery): Promise<Contact[]> {
  const rows = await db.query<ContactRow>(query.sort ? sortedSearch(accountId, query) : rankedSearch(accountId, query));
  return rows.map(toContact);
}

function rankedSearch(accountId: number, query: SearchQuery): Sql {
  const { exact, prefix, substring } = tierConditions(query.term, query.digits);
  const tiers = [tier(0, accountId, query, [exact]), tier(1, accountId, query, [prefix, notTrue(exact)])];
  // Terms under three characters match prefixes only, so there is no substring tier.
  if (query.term.length >= 3) tiers.push(tier(2, accountId, query, [substring, notTrue(prefix)]));
  return sql`
    SELECT ${CONTACT_COLUMNS}
    FROM (${sql.join(tiers, " UNION ALL ")}) hit
    JOIN contacts c ON c.account_id = ${accountId} AND c.id = hit.id
    ORDER BY hit.rank, c.${BY_RECENCY}
    LIMIT ${query.limit} OFFSET ${query.skip}`;
}

/** One rank's first `skip + limit` hits, most recently active first. */
function tier(rank: number, accountId: number, query: SearchQuery, conditions: Sql[]): Sql {
  const where = [sql`account_id = ${accountId}`, ...conditions];
  if (query.labels.length > 0) where.push(hasAnyLabel(query.labels));
  return sql`(SELECT ${rank} AS rank, id FROM contacts c
    WHERE ${sql.join(where, " AND ")}
    ORDER BY ${BY_RECENCY}
    LIMIT ${query.skip + query.limit})`;
}

function sortedSearch(accountId: number, query: SearchQuery): Sql {
  const conditions = [sql`c.account_id = ${accountId}`, searchMatch(query.term, query.digits)];
  if (query.labels.length > 0) conditions.push(hasAnyLabel(query.labels));
  const sort = query.sort as { key: SortKey; direction: Direction };
  return sql`
    SELECT ${CONTACT_COLUMNS}
    FROM contacts c
    WHERE ${sql.join(conditions, " AND ")}
    ORDER BY ${orderBy(SORT_COLUMNS[sort.key], sort.direction)}
    LIMIT ${query.limit} OFFSET ${query.skip}`;
}

/**
 * What each rank matches. Every exact match is a prefix match, and every prefix match is a
 * substring match (search_text holds each field), so excluding the rank above is enough.
 */
function tierConditions(term: string, digits: string | null): { exact: Sql; prefix: Sql; substring: Sql } {
  const phone = digits === null ? null : `+${digits}`;
  const exact = [sql`lower(c.name) = ${term}`, sql`c.email = ${term}`, sql`lower(c.identifier) = ${term}`];
  if (phone !== null) exact.push(sql`c.phone_e164 = ${phone}`);
  const starts = `${escapeLike(term)}%`;
  const prefix = [
    sql`lower(c.name) LIKE ${starts}`,
    sql`c.email LIKE ${starts}`,
    sql`lower(c.identifier) LIKE ${starts}`,
  ];
  if (phone !== null) prefix.push(sql`c.phone_e164 LIKE ${`${escapeLike(phone)}%`}`);
  return {
    exact: sql`(${sql.join(exact, " OR ")})`,
    prefix: sql`(${sql.join(prefix, " OR ")})`,
    substring: searchMatch(term, digits),
  };
}

/** Null-safe negation: a row with no email is not an exact email match. */
function notTrue(condition: Sql): Sql {
  return sql`${condition} IS NOT TRUE`;
}
