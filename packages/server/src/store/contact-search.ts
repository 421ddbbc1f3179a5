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
 * Case-insensitive substring search, ranked: exact matches of a field (most recently active
 * first), then prefix matches (in the order of the matching text: name, then email, identifier and
 * phone number), then other substring matches (most recently active first). An explicit sort
 * replaces the ranking.
 *
 * Every group is its own query, cut at the page's end, and each is cheap on its own: a prefix
 * group is a range of a btree read in order, so it reads one page of rows however many match;
 * the substring group either walks the activity index until a page of hits (common terms) or
 * takes the few rows the trigram index gives (rare ones). A contact found by several groups counts
 * in the first; taking each group's first `skip + limit` rows is enough for that (a contact the
 * page needs is among the first `skip + limit` of its own group).
 */
export async function searchContacts(db: Queryable, accountId: number, query: SearchQuery): Promise<Contact[]> {
  const rows = await db.query<ContactRow>(query.sort ? sortedSearch(accountId, query) : rankedSearch(accountId, query));
  return rows.map(toContact);
}

function rankedSearch(accountId: number, query: SearchQuery): Sql {
  const { early, substring } = matchGroups(query.term, query.digits);
  const pageEnd = query.skip + query.limit;
  const earlyQueries = early.map((group, rank) => groupQuery(rank, accountId, query, group));
  // The substring group runs only when the groups above it leave the page short (a one-time
  // filter: PostgreSQL skips the scan when it is false).
  const lastGroup = substring
    ? sql` UNION ALL ${groupQuery(early.length, accountId, query, {
        where: sql`(SELECT count(DISTINCT id) FROM early) < ${pageEnd} AND ${substring}`,
      })}`
    : sql.empty;
  return sql`
    WITH early AS (${sql.join(earlyQueries, " UNION ALL ")})
    SELECT ${CONTACT_COLUMNS}
    FROM (
      SELECT DISTINCT ON (id) id, rank, sort_text, activity, tiebreak
      FROM (SELECT * FROM early${lastGroup}) hit
      ORDER BY id, rank
    ) best
    JOIN contacts c ON c.account_id = ${accountId} AND c.id = best.id
    ORDER BY best.rank, best.sort_text, best.activity DESC NULLS LAST, best.tiebreak
    LIMIT ${query.limit} OFFSET ${query.skip}`;
}

interface MatchGroup {
  where: Sql;
  /** Ordered by this text (ascending), else by recent activity. */
  byText?: Sql;
}

/**
 * The groups in rank order: exact, then prefix by field, then (for terms of three or more
 * characters) substring. Every exact match is also a prefix match and every prefix match a
 * substring match, since search_text holds each field.
 */
function matchGroups(term: string, digits: string | null): { early: MatchGroup[]; substring: Sql | null } {
  const phone = digits === null ? null : `+${digits}`;
  const exact = [sql`lower(c.name) = ${term}`, sql`c.email = ${term}`, sql`lower(c.identifier) = ${term}`];
  if (phone !== null) exact.push(sql`c.phone_e164 = ${phone}`);
  const starts = `${escapeLike(term)}%`;
  const prefixed = (text: Sql, pattern: string): MatchGroup => ({ where: sql`${text} LIKE ${pattern}`, byText: text });
  const early: MatchGroup[] = [
    { where: sql`(${sql.join(exact, " OR ")})` },
    prefixed(sql`lower(c.name)`, starts),
    prefixed(sql`c.email`, starts),
    prefixed(sql`lower(c.identifier)`, starts),
  ];
  if (phone !== null) early.push(prefixed(sql`c.phone_e164`, `${escapeLike(phone)}%`));
  return { early, substring: term.length >= 3 ? searchMatch(term, digits) : null };
}

/** One group's first `skip + limit` hits, in the group's order, with the keys that order them. */
function groupQuery(rank: number, accountId: number, query: SearchQuery, group: MatchGroup): Sql {
  const where = [sql`c.account_id = ${accountId}`, group.where];
  if (query.labels.length > 0) where.push(hasAnyLabel(query.labels));
  const columns = group.byText
    ? sql`${rank} AS rank, ${group.byText} COLLATE "C" AS sort_text, NULL::timestamptz AS activity, c.id AS tiebreak`
    : sql`${rank} AS rank, NULL::text COLLATE "C" AS sort_text, c.last_activity_at AS activity, -c.id AS tiebreak`;
  const order = group.byText ? sql`${group.byText}, c.id` : sql`c.${BY_RECENCY}`;
  return sql`(SELECT c.id, ${columns} FROM contacts c
    WHERE ${sql.join(where, " AND ")}
    ORDER BY ${order}
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
