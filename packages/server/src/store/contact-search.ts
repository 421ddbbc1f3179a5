import type { Contact, Direction, SortKey } from "../core/contacts/contact.js";
import { escapeLike, hasAnyLabel, orderBy, SORT_COLUMNS, searchMatch } from "./contact-queries.js";
import { CONTACT_COLUMNS, type ContactRow, toContact } from "./contacts.js";
import type { Queryable } from "./database.js";
import type { TermSample } from "./search-sample.js";
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

/** Most recently active first: the order of the activity index. */
const byRecency = (alias: "c" | "r") => sql.raw(`${alias}.last_activity_at DESC NULLS LAST, ${alias}.id DESC`);

/** Contacts walked at most, in order of activity, for a term the sample says is common. */
export const WALK_ROWS = 10_000;

/**
 * How the substring group (terms of three characters or more) is found, chosen from the sample:
 * - `walk`: the activity index, newest first, checking each contact, for at most `rows`
 *   contacts; a common term fills a page within a few thousand;
 * - `trigram`: every match from the trigram index, sorted; a rare term has few;
 * - `planned`: a statement of its own that PostgreSQL plans for the term (no sample).
 */
export type SubstringPlan = { kind: "walk"; rows: number } | { kind: "trigram" } | { kind: "planned" };

/** The sample entries a term must be in before a walk is tried: one could be chance. */
const COMMON_HITS = 2;

export function substringPlan(
  sample: TermSample | null,
  term: string,
  digits: string | null,
  pageEnd: number,
): SubstringPlan {
  if (sample === null || sample.size === 0) return { kind: "planned" };
  const other = otherDigits(term, digits);
  // A walk is tried when a page of matches is expected within its bound, were every account like
  // the sample: pageEnd * size / hits contacts at most, so at least this many hits.
  const needed = Math.max(COMMON_HITS, Math.ceil((pageEnd * sample.size) / sample.walkRows));
  const hits = sample.valuesHolding(other === null ? [term] : [term, other], needed);
  return hits >= needed ? { kind: "walk", rows: sample.walkRows } : { kind: "trigram" };
}

/**
 * Case-insensitive substring search, ranked: exact matches of a field (most recently active
 * first), then prefix matches (in the order of the matching text: name, then email, identifier and
 * phone number), then other substring matches (most recently active first). An explicit sort
 * replaces the ranking.
 *
 * Every group is cut at the page's end, and each is cheap on its own: a prefix group is a range of
 * a btree read in order, so it reads one page of rows however many match; the substring group
 * walks the activity index until a page of hits (common terms). A contact found by several groups
 * counts in the first; taking each group's first `skip + limit` rows is enough for that (a contact
 * the page needs is among the first `skip + limit` of its own group). A rare term needs none of
 * this: the trigram index gives its few matches, every group's included, which are ranked whole.
 *
 * Which of the two suits the term is read from a sample of the column's values rather than left to
 * the planner, since planning a statement whose plan depends on the term cost as much as running
 * it. So the statement is prepared (planned once per connection on PostgreSQL): for a common term
 * it holds the exact and prefix groups with the walk after them, which runs only if the groups
 * leave the page short; for a rare one, the trigram lookup. One round trip either way. The walk is
 * bounded: a term common in the sample but not in this account is then left to a statement
 * planned for it.
 */
export async function searchContacts(
  db: Queryable,
  accountId: number,
  query: SearchQuery,
  sample: TermSample | null = null,
): Promise<Contact[]> {
  if (query.sort) return (await db.query<ContactRow>(sortedSearch(accountId, query))).map(toContact);
  const pageEnd = query.skip + query.limit;
  const plan = query.term.length >= 3 ? substringPlan(sample, query.term, query.digits, pageEnd) : null;
  const ranked = await db.query<ContactRow>(
    plan?.kind === "trigram" ? rankedTrigramMatches(accountId, query) : rankedGroups(accountId, query, plan),
  );
  const found = ranked.slice(0, pageEnd);
  // Fewer than `pageEnd` rows: every group was read to its end (or every trigram match ranked), the
  // walk to its bound.
  if (found.length >= pageEnd || plan === null || plan.kind === "trigram")
    return found.slice(query.skip).map(toContact);
  const more = await db.query<ContactRow>(substringRest(accountId, query, found));
  return [...found.slice(query.skip), ...more].map(toContact);
}

/** The digits a term is also looked for as, when they differ from it (see `searchMatch`). */
function otherDigits(term: string, digits: string | null): string | null {
  return digits !== null && digits.length >= 3 && digits !== term ? digits : null;
}

/**
 * The page's rows after every one found so far: other substring matches, most recently active
 * first, in a statement planned for the term.
 */
function substringRest(accountId: number, query: SearchQuery, found: ContactRow[]): Sql {
  const where = groupConditions(accountId, query, searchMatch(query.term, query.digits));
  const rest = restWindow(query, found.length);
  return sql`
    SELECT ${CONTACT_COLUMNS} FROM contacts c
    WHERE ${sql.join(where, " AND ")}
      AND c.id <> ALL(${found.map((row) => row.id)}::bigint[])
    ORDER BY ${byRecency("c")}
    LIMIT ${rest.limit} OFFSET ${rest.offset}`;
}

/**
 * A rare term's page from its trigram matches alone. Every exact and prefix match is also a
 * substring match (search_text holds each field, a phone number's digits too), so the few contacts
 * the trigram index gives are ranked here by the groups' own conditions and orders: one index
 * lookup instead of the groups' four or five btree ranges and the lookup after them.
 *
 * The pattern and account are out of the planner's sight (`hidden`), so that a plan made for one
 * search cannot look cheaper than the plan made for any: PostgreSQL then keeps the latter after a
 * few runs instead of planning each search (a rare pattern's own estimate is always cheaper). The
 * account is compared as `account_id + 0`, which no index serves: in a form the primary key can
 * serve, a plan made for any term adds the account's whole btree range to the bitmap.
 *
 * Each match's rank is computed once, in a subquery kept apart by `OFFSET 0`: merged into the
 * query above, its expression was copied into each of the four sort keys built from it.
 */
function rankedTrigramMatches(accountId: number, query: SearchQuery): Sql {
  const limit = pageBound(query.skip + query.limit);
  const groups = matchGroups(query.term, query.digits);
  const substring = groups.length;
  const rank = sql`CASE ${sql.join(
    groups.map((group, i) => sql`WHEN ${group.where} THEN ${sql.raw(String(i))}`),
    " ",
  )} ELSE ${sql.raw(String(substring))} END`;
  const sortText = sql.join(
    groups.flatMap((group, i) => (group.byText ? [sql`WHEN ${sql.raw(String(i))} THEN ${group.byText}`] : [])),
    " ",
  );
  // Ranked by recency (the exact group and the other substrings): newest first, then highest id.
  const byActivity = sql`c.rank IN (0, ${sql.raw(String(substring))})`;
  const patterns = [query.term, otherDigits(query.term, query.digits)].flatMap((text) =>
    text === null ? [] : [sql`c.search_text LIKE ${hidden(`%${escapeLike(text)}%`, "text")}`],
  );
  const where = [sql`(${sql.join(patterns, " OR ")})`, sql`c.account_id + 0 = ${hidden(accountId, "bigint")}`];
  if (query.labels.length > 0) where.push(hasAnyLabel(query.labels));
  const statement = sql`
    WITH page AS (
      SELECT c.id, c.rank, (CASE c.rank ${sortText} END) COLLATE "C" AS sort_text,
        CASE WHEN ${byActivity} THEN c.last_activity_at END AS activity,
        CASE WHEN ${byActivity} THEN -c.id ELSE c.id END AS tiebreak
      FROM (
        SELECT c.id, c.name, c.email, c.identifier, c.phone_e164, c.last_activity_at, ${rank} AS rank
        FROM contacts c WHERE ${sql.join(where, " AND ")} OFFSET 0) c
      ORDER BY rank, sort_text, activity DESC NULLS LAST, tiebreak
      LIMIT ${sql.raw(String(limit))})
    SELECT ${CONTACT_COLUMNS}
    FROM page JOIN contacts c ON c.account_id = ${accountId} AND c.id = page.id
    ORDER BY page.rank, page.sort_text, page.activity DESC NULLS LAST, page.tiebreak`;
  return limit <= PREPARED_BOUND ? statement.prepared() : statement;
}

/** A parameter the planner cannot see into: its value is known only once the statement runs. */
function hidden(value: unknown, type: "text" | "bigint"): Sql {
  return sql`(SELECT ${value}::${sql.raw(type)})`;
}

/** What the page still lacks after `found` rows, which may all come before the page starts. */
function restWindow(query: SearchQuery, found: number): { limit: number; offset: number } {
  return { limit: query.skip + query.limit - Math.max(found, query.skip), offset: Math.max(0, query.skip - found) };
}

/**
 * The exact and prefix groups' first contacts in rank order; then, when they leave the page short
 * and `plan` is a walk, the newest other substring matches among the account's most recently
 * active contacts. Up to `pageBound` rows, of which the caller keeps the page's.
 *
 * The statement's bounds are written into its text, not sent as parameters: a plan made for any
 * value assumes a LIMIT keeps a tenth of the rows, which priced the generic plan above the plans
 * made for each search, so PostgreSQL planned every one. Rounding the page's end up to a power of
 * two keeps the statements few; pages that end deeper than `PREPARED_BOUND` (offset paging far
 * into the results) run unprepared, so that they cannot use up the texts a process prepares.
 */
function rankedGroups(accountId: number, query: SearchQuery, plan: SubstringPlan | null): Sql {
  const limit = pageBound(query.skip + query.limit);
  const bound = sql.raw(String(limit));
  const groups = matchGroups(query.term, query.digits).map((group, rank) =>
    groupQuery(rank, groupConditions(accountId, query, group.where), group.byText, bound),
  );
  const others = plan?.kind === "walk" ? walkedMatches(accountId, query, plan.rows, bound) : null;
  const substrings = others === null ? sql.empty : sql`UNION ALL SELECT id, 1, 0, last_activity_at FROM (${others}) w`;
  const statement = sql`
    WITH hit AS (${sql.join(groups, " UNION ALL ")}),
    early AS MATERIALIZED (
      SELECT id, row_number() OVER (ORDER BY rank, sort_text, activity DESC NULLS LAST, tiebreak) AS pos
      FROM (SELECT DISTINCT ON (id) * FROM hit ORDER BY id, rank) best
      ORDER BY pos LIMIT ${bound}),
    page AS (
      SELECT id, 0 AS part, pos, NULL::timestamptz AS activity FROM early ${substrings}
      ORDER BY part, pos, activity DESC NULLS LAST, id DESC LIMIT ${bound})
    SELECT ${CONTACT_COLUMNS}
    FROM page JOIN contacts c ON c.account_id = ${accountId} AND c.id = page.id
    ORDER BY page.part, page.pos, page.activity DESC NULLS LAST, page.id DESC`;
  return limit <= PREPARED_BOUND ? statement.prepared() : statement;
}

/**
 * What the substring matches after the groups are held to: a one-time filter, so that they are
 * looked for only when `early` left the page short, and none of `early`'s contacts again.
 */
function pageShort(query: SearchQuery, id: Sql): Sql[] {
  return [sql`(SELECT count(*) FROM early) < ${query.skip + query.limit}`, sql`${id} NOT IN (SELECT id FROM early)`];
}

/** The deepest page end whose statement is prepared: 7 bounds, from 16 to 1,024. */
const PREPARED_BOUND = 1024;

/** The least power of two from 16 up that is at least `pageEnd`. */
export function pageBound(pageEnd: number): number {
  return Math.max(16, 2 ** Math.ceil(Math.log2(pageEnd)));
}

/**
 * Substring matches not in `early`, newest first, among the account's `walk` most recently active
 * contacts: `bound` of them at most. It runs only if `early` left the page short (a one-time
 * filter) and stops at its last match. `strpos` rather than `LIKE`: the same test, cheaper per row.
 */
function walkedMatches(accountId: number, query: SearchQuery, walk: number, bound: Sql): Sql {
  const other = otherDigits(query.term, query.digits);
  const contains = sql`strpos(c.search_text, ${query.term}) > 0`;
  const where = [
    ...pageShort(query, sql`c.id`),
    other === null ? contains : sql`(${contains} OR strpos(c.search_text, ${other}) > 0)`,
  ];
  if (query.labels.length > 0) where.push(hasAnyLabel(query.labels));
  return sql`SELECT c.id, c.last_activity_at FROM (
      SELECT r.account_id, r.id, r.last_activity_at, r.search_text FROM contacts r
      WHERE r.account_id = ${accountId} ORDER BY ${byRecency("r")} LIMIT ${sql.raw(String(Math.trunc(walk)))}) c
    WHERE ${sql.join(where, " AND ")}
    LIMIT ${bound}`;
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
  const termEnd = prefixEnd(term);
  const groups: MatchGroup[] = [
    { where: sql`(${sql.join(exact, " OR ")})` },
    prefixGroup(sql`lower(c.name)`, term, termEnd),
    prefixGroup(sql`c.email`, term, termEnd),
    prefixGroup(sql`lower(c.identifier)`, term, termEnd),
  ];
  if (phone !== null) groups.push(prefixGroup(sql`c.phone_e164`, phone, prefixEnd(phone)));
  return groups;
}

/** The values of `text` from `prefix` up to `end` (the range `prefixEnd` gives), in a btree's order. */
function prefixGroup(text: Sql, prefix: string, end: string | null): MatchGroup {
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
function groupQuery(rank: number, where: Sql[], byText: Sql | undefined, bound: Sql): Sql {
  const columns = byText
    ? sql`${sql.raw(String(rank))} AS rank, ${byText} AS sort_text, NULL::timestamptz AS activity, c.id AS tiebreak`
    : sql`${sql.raw(String(rank))} AS rank, NULL::text COLLATE "C" AS sort_text, c.last_activity_at AS activity, -c.id AS tiebreak`;
  const order = byText ? sql`${byText}, c.id` : sql`${byRecency("c")}`;
  return sql`(SELECT c.id, ${columns} FROM contacts c
    WHERE ${sql.join(where, " AND ")}
    ORDER BY ${order}
    LIMIT ${bound})`;
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
