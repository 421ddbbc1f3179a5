import type { Contact, Direction, SortKey } from "../core/contacts/contact.js";
import { hasAnyLabel, orderBy, SORT_COLUMNS, searchMatch } from "./contact-queries.js";
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
 * Every group is cut at the page's end, and each is cheap on its own: a prefix group is a range of
 * a btree read in order, so it reads one page of rows however many match; the substring group
 * either walks the activity index until a page of hits (common terms) or takes the few rows the
 * trigram index gives (rare ones). A contact found by several groups counts in the first; taking
 * each group's first `skip + limit` rows is enough for that (a contact the page needs is among the
 * first `skip + limit` of its own group).
 *
 * The exact and prefix groups are one prepared statement: their best plan is the same for every
 * term, so PostgreSQL plans it once per connection (planning the six-branch statement on each
 * search cost more than running it). The substring group, whose plan does depend on the term, is
 * a statement of its own, sent only when the groups above leave the page short.
 */
export async function searchContacts(db: Queryable, accountId: number, query: SearchQuery): Promise<Contact[]> {
  if (query.sort) return (await db.query<ContactRow>(sortedSearch(accountId, query))).map(toContact);
  const pageEnd = query.skip + query.limit;
  const early = await db.query<ContactRow>(earlyGroups(accountId, query));
  const substring = query.term.length >= 3 ? searchMatch(query.term, query.digits) : null;
  // Fewer than `pageEnd` early matches means every early group was read to its end.
  if (early.length >= pageEnd || substring === null) return early.slice(query.skip).map(toContact);
  const rest = await db.query<ContactRow>(substringRest(accountId, query, substring, early));
  return [...early.slice(query.skip), ...rest].map(toContact);
}

/**
 * The page's rows after every early match: other substring matches, most recently active first,
 * leaving out the early ones and starting where the page does.
 */
function substringRest(accountId: number, query: SearchQuery, substring: Sql, early: ContactRow[]): Sql {
  const found = early.length;
  return sql`
    SELECT ${CONTACT_COLUMNS} FROM contacts c
    WHERE ${sql.join(groupConditions(accountId, query, substring), " AND ")}
      AND c.id <> ALL(${early.map((row) => row.id)}::bigint[])
    ORDER BY c.${BY_RECENCY}
    LIMIT ${query.skip + query.limit - Math.max(found, query.skip)} OFFSET ${Math.max(0, query.skip - found)}`;
}

/** The exact and prefix groups' first `skip + limit` contacts, in rank order. */
function earlyGroups(accountId: number, query: SearchQuery): Sql {
  const pageEnd = query.skip + query.limit;
  const groups = matchGroups(query.term, query.digits).map((group, rank) =>
    groupQuery(rank, groupConditions(accountId, query, group.where), group.byText, pageEnd),
  );
  const statement = sql`
    WITH hit AS (${sql.join(groups, " UNION ALL ")})
    SELECT ${CONTACT_COLUMNS}
    FROM (SELECT DISTINCT ON (id) * FROM hit ORDER BY id, rank) best
    JOIN contacts c ON c.account_id = ${accountId} AND c.id = best.id
    ORDER BY best.rank, best.sort_text, best.activity DESC NULLS LAST, best.tiebreak
    LIMIT ${pageEnd}`;
  return statement.prepared();
}

interface MatchGroup {
  where: Sql;
  /** Ordered by this text (ascending), else by recent activity. */
  byText?: Sql;
}

/**
 * The exact and prefix groups in rank order. Every exact match is also a prefix match, and every
 * prefix match a substring match, since search_text holds each field. A prefix is a range of the
 * column's values (the columns compare by code point), which a generic plan can read from a btree;
 * `LIKE` could use the index only with the pattern known at planning.
 */
function matchGroups(term: string, digits: string | null): MatchGroup[] {
  const phone = digits === null ? null : `+${digits}`;
  const exact = [sql`lower(c.name) = ${term}`, sql`c.email = ${term}`, sql`lower(c.identifier) = ${term}`];
  if (phone !== null) exact.push(sql`c.phone_e164 = ${phone}`);
  const groups: MatchGroup[] = [
    { where: sql`(${sql.join(exact, " OR ")})` },
    prefixGroup(sql`lower(c.name)`, term),
    prefixGroup(sql`c.email`, term),
    prefixGroup(sql`lower(c.identifier)`, term),
  ];
  if (phone !== null) groups.push(prefixGroup(sql`c.phone_e164`, phone));
  return groups;
}

function prefixGroup(text: Sql, prefix: string): MatchGroup {
  const end = prefixEnd(prefix);
  const below = end === null ? sql.empty : sql` AND ${text} < ${end}`;
  return { where: sql`${text} >= ${prefix}${below}`, byText: text };
}

/**
 * The least string greater than every string starting with `prefix`, in code point order: the
 * prefix with its last code point raised by one. Null when there is none (only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < 0x10ffff) return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1);
  }
  return null;
}

function groupConditions(accountId: number, query: SearchQuery, match: Sql): Sql[] {
  const where = [sql`c.account_id = ${accountId}`, match];
  if (query.labels.length > 0) where.push(hasAnyLabel(query.labels));
  return where;
}

/** One group's first `pageEnd` hits, in the group's order, with the keys that order them. */
function groupQuery(rank: number, where: Sql[], byText: Sql | undefined, pageEnd: number): Sql {
  const columns = byText
    ? sql`${rank}::int AS rank, ${byText} AS sort_text, NULL::timestamptz AS activity, c.id AS tiebreak`
    : sql`${rank}::int AS rank, NULL::text COLLATE "C" AS sort_text, c.last_activity_at AS activity, -c.id AS tiebreak`;
  const order = byText ? sql`${byText}, c.id` : sql`c.${BY_RECENCY}`;
  return sql`(SELECT c.id, ${columns} FROM contacts c
    WHERE ${sql.join(where, " AND ")}
    ORDER BY ${order}
    LIMIT ${pageEnd})`;
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
