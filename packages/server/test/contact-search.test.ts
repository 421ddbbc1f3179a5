import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { phoneDigits } from "../src/core/contacts/normalize.js";
import { searchTerm } from "../src/core/contacts/search.js";
import { SearchSampleCache } from "../src/core/contacts/search-sample.js";
import { escapeLike, hasAnyLabel, searchMatch } from "../src/store/contact-queries.js";
import { pageBound, prefixEnd, searchContacts, substringPlan } from "../src/store/contact-search.js";
import type { Database, Queryable } from "../src/store/database.js";
import { migrate } from "../src/store/migrate.js";
import { loadSearchSample, TermSample } from "../src/store/search-sample.js";
import { sql } from "../src/store/sql.js";
import { backend, freshDatabase, newAccount, openTestDatabase } from "./harness.js";

/**
 * The ranked search runs one bounded query per group of matches. These tests hold it to the plain
 * definition of the order (one ORDER BY over a rank expression, every match sorted), page by page, on data
 * built to put many rows on each rank's edges: shared names and prefixes, missing emails, equal
 * and missing activity times, labels.
 */
const FIRST = ["ana", "anabel", "jo", "john", "johnny", "maria", "mariana", "son", "sonia", "x%y"];
const LAST = ["smith", "johnson", "anderson", "mason", "ng"];

function reference(accountId: number, term: string, labels: string[]) {
  const digits = phoneDigits(term);
  const phone = digits === null ? null : `+${digits}`;
  const prefix = `${escapeLike(term)}%`;
  const phonePrefix = phone === null ? null : `${escapeLike(phone)}%`;
  const conditions = [sql`c.account_id = ${accountId}`, searchMatch(term, digits)];
  if (labels.length > 0) conditions.push(hasAnyLabel(labels));
  return sql`SELECT id FROM (
      SELECT c.id, c.last_activity_at, c.name, c.email, c.identifier, c.phone_e164, CASE
        WHEN lower(c.name) = ${term} OR c.email = ${term} OR lower(c.identifier) = ${term} OR c.phone_e164 = ${phone} THEN 0
        WHEN lower(c.name) LIKE ${prefix} THEN 1
        WHEN c.email LIKE ${prefix} THEN 2
        WHEN lower(c.identifier) LIKE ${prefix} THEN 3
        WHEN c.phone_e164 LIKE ${phonePrefix} THEN 4
        ELSE 5 END AS rank
      FROM contacts c WHERE ${sql.join(conditions, " AND ")}) m
    ORDER BY rank,
      CASE rank WHEN 1 THEN lower(name) WHEN 2 THEN email WHEN 3 THEN lower(identifier) WHEN 4 THEN phone_e164 END,
      CASE WHEN rank IN (0, 5) THEN last_activity_at END DESC NULLS LAST,
      CASE WHEN rank IN (0, 5) THEN -id ELSE id END`;
}

describe(`ranked search on ${backend}`, () => {
  let db: Database;
  let accountId: number;
  let otherAccountId: number;

  beforeAll(async () => {
    db = await openTestDatabase();
    accountId = (await newAccount(db)).accountId;
    otherAccountId = (await newAccount(db)).accountId;
    const labelIds: number[] = [];
    for (const name of ["vip", "lead"]) {
      const [row] = await db.query<{ id: number }>(
        sql`INSERT INTO labels (account_id, name) VALUES (${accountId}, ${name}) RETURNING id`,
      );
      labelIds.push((row as { id: number }).id);
    }
    let n = 0;
    for (const first of FIRST) {
      for (const last of LAST) {
        for (const variant of [0, 1, 2]) {
          n++;
          const name = variant === 2 ? first : `${first} ${last}`;
          const email = variant === 1 ? null : `${first}.${last}${variant}@example.com`;
          const identifier = variant === 0 ? `${last}-${n}` : null;
          const phone = n % 4 === 0 ? `+4420794${String(n).padStart(5, "0")}` : null;
          // Few distinct times, some missing, so ties are broken by id.
          const activity = n % 5 === 0 ? null : new Date(Date.UTC(2026, 0, 1 + (n % 7)));
          const [row] = await db.query<{ id: number }>(sql`
            INSERT INTO contacts (account_id, name, email, identifier, phone_e164, last_activity_at)
            VALUES (${accountId}, ${name}, ${email}, ${identifier}, ${phone}, ${activity}) RETURNING id`);
          const labelId = labelIds[n % 3];
          if (labelId !== undefined) {
            await db.execute(sql`INSERT INTO contact_labels (account_id, contact_id, label_id, name)
              SELECT account_id, ${(row as { id: number }).id}, id, name FROM labels
              WHERE account_id = ${accountId} AND id = ${labelId}`);
          }
        }
      }
    }
    // Another account's exact matches must never show.
    await db.execute(sql`INSERT INTO contacts (account_id, name, email) VALUES
      (${otherAccountId}, 'jo', 'jo@example.com'), (${otherAccountId}, 'son', null)`);
  });
  afterAll(() => db.close());

  const terms = ["jo", "john", "son", "ana", "mariana", "smith", "ng", "x%y", "%", "-1", "0794", "+44 20 7940", "zzz"];

  // Samples that steer the substring group each way: null leaves it to a planned statement; a
  // sample made of the term makes it common (a walk, here of at most 20 contacts or of them all);
  // one without it makes it rare (the trigram lookup).
  const steering: Record<string, (term: string) => TermSample | null> = {
    planned: () => null,
    "short walk": (term) => new TermSample(Array(200).fill(term), 20),
    "whole walk": (term) => new TermSample(Array(200).fill(term), 100_000),
    trigram: () => new TermSample(Array(200).fill("\u0001"), 100_000),
  };

  for (const [strategy, sampleFor] of Object.entries(steering)) {
    it(`orders every page exactly as one ORDER BY over all matches would (${strategy})`, async () => {
      for (const raw of terms) {
        for (const labels of [[], ["vip"]]) {
          const term = searchTerm(raw);
          const expected = (await db.query<{ id: number }>(reference(accountId, term, labels))).map((r) => r.id);
          for (const limit of [7, 50]) {
            const pages: number[] = [];
            for (let skip = 0; skip < expected.length + limit; skip += limit) {
              const query = { term, digits: phoneDigits(term), labels, limit, skip };
              const page = await searchContacts(db, accountId, query, sampleFor(term));
              pages.push(...page.map((c) => c.id));
            }
            expect(pages, `${raw} ${labels} limit ${limit}`).toEqual(expected);
          }
        }
      }
    }, 120_000);
  }

  it("answers a page past the prepared bounds (1,024 rows) like any other", async () => {
    const term = "son";
    const all = await searchContacts(db, accountId, { term, digits: null, labels: [], limit: 200, skip: 0 });
    expect(all.length).toBeGreaterThan(10);
    // With the page's end past 1,024 the statement runs unprepared; past the matches, it is empty.
    const beyond = await searchContacts(db, accountId, { term, digits: null, labels: [], limit: 100, skip: 1_000 });
    expect(beyond).toEqual([]);
    const sample = new TermSample(Array(200).fill(term), 100_000);
    const walked = await searchContacts(
      db,
      accountId,
      { term, digits: null, labels: [], limit: 1_000, skip: 5 },
      sample,
    );
    expect(walked.map((c) => c.id)).toEqual(all.slice(5).map((c) => c.id));
    expect([pageBound(1), pageBound(16), pageBound(17), pageBound(1_025)]).toEqual([16, 16, 32, 2_048]);
  });

  it("answers a rare term, its other substring matches included, in one statement", async () => {
    const statements: string[] = [];
    const counting: Queryable = {
      query: (statement) => {
        statements.push(statement.toQuery().text);
        return db.query(statement);
      },
      execute: (statement) => db.execute(statement),
      exec: (text) => db.exec(text),
    };
    const rare = steering.trigram?.("son") ?? null;
    // "son" is a name, a name's prefix and inside other names ("johnson", "anderson", "mason").
    const query = { term: "son", digits: null, labels: [], limit: 50, skip: 0 };
    const page = await searchContacts(counting, accountId, query, rare);
    const expected = (await db.query<{ id: number }>(reference(accountId, "son", []))).map((r) => r.id);
    expect(page.map((c) => c.id)).toEqual(expected.slice(0, 50));
    expect(page.some((c) => !c.name.startsWith("son"))).toBe(true);
    expect(statements).toHaveLength(1);
  });

  it("puts exact matches first, then prefix matches by name, then other substrings by recent activity", async () => {
    const found = await searchContacts(db, accountId, { term: "son", digits: null, labels: [], limit: 200, skip: 0 });
    const rank = (c: { name: string; email: string | null }) =>
      c.name === "son" ? 0 : c.name.startsWith("son") ? 1 : c.email?.startsWith("son") ? 2 : 3;
    const ranks = found.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks)).toEqual(new Set([0, 1, 3]));
    const byName = found.filter((c) => rank(c) === 1).map((c) => c.name.toLowerCase());
    expect(byName).toEqual([...byName].sort());
    const substrings = found.filter((c) => rank(c) === 3).map((c) => c.lastActivityAt?.getTime() ?? 0);
    expect(substrings).toEqual([...substrings].sort((a, b) => b - a));
    expect(found.every((c) => c.accountId === accountId)).toBe(true);
  });
});

describe(`search statistics on ${backend}`, () => {
  it("keeps a histogram of 500 entries for search_text, so that a common term is not taken for a rare one", async () => {
    const db = await openTestDatabase();
    try {
      const [row] = await db.query<{ target: number }>(sql`
        SELECT attstattarget AS target FROM pg_attribute
        WHERE attrelid = 'contacts'::regclass AND attname = 'search_text'`);
      expect(row?.target).toBe(500);
    } finally {
      await db.close();
    }
  });
});

describe(`search sample on ${backend}`, () => {
  it("is read from the statistics once the table is analysed, and chooses a walk for common terms only", async () => {
    // A database of its own: other files' contacts would make "walker" rare in the sample by chance.
    const fresh = await freshDatabase();
    const db = await fresh.open();
    try {
      await migrate(db);
      const { accountId } = await newAccount(db);
      await db.execute(sql`
        INSERT INTO contacts (account_id, name, email)
        SELECT ${accountId}, CASE WHEN n % 10 = 0 THEN 'Ann Walker ' ELSE 'Bob Stone ' END || n, 'p' || n || '@example.com'
        FROM generate_series(1, 400) n`);
      await db.exec("ANALYZE contacts");
      const sample = await loadSearchSample(db);
      expect(sample?.values.length).toBeGreaterThanOrEqual(100);
      // Values of search_text: the fields joined by U+001F.
      expect(sample?.values.every((value) => value.includes("\u001f"))).toBe(true);
      expect(sample?.values.some((value) => value.startsWith("bob stone "))).toBe(true);
      const plan = (term: string) => substringPlan(sample as TermSample, term, null, 16).kind;
      expect(plan("sto")).toBe("walk");
      expect(plan("walker")).toBe("walk");
      expect(plan("zebra")).toBe("trigram");
      expect(substringPlan(null, "sto", null, 16).kind).toBe("planned");
      // The core reads it once and shares it between searches.
      const cache = new SearchSampleCache(db);
      const [first, second] = await Promise.all([cache.current(), cache.current()]);
      expect(first?.values).toEqual(sample?.values);
      expect(second).toBe(first);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe("substringPlan", () => {
  const values = [...Array(490).fill("x"), ..."abcdefghij".split("").map((ch) => `common ${ch}`)];
  const sample = new TermSample(values, 10_000);
  it("walks when the sample says a page of matches lies within the walk's bound", () => {
    expect(substringPlan(sample, "common", null, 16)).toEqual({ kind: "walk", rows: 10_000 });
    // 10 in 500: a page of 16 is expected within 800 contacts, one of 300 within 15,000.
    expect(substringPlan(sample, "common", null, 300).kind).toBe("trigram");
  });
  it("takes the trigram index for a term seen once or never, and counts a phone number's digits", () => {
    expect(substringPlan(sample, "common a", null, 16).kind).toBe("trigram");
    expect(substringPlan(sample, "absent", null, 16).kind).toBe("trigram");
    expect(substringPlan(new TermSample(["4420", "x4420"], 10), "+4420", "4420", 1).kind).toBe("walk");
  });
  it("counts the values holding a term or its digits as a scan of each value would, up to what it needs", () => {
    // Short texts over a few letters, so that terms often occur, twice in a value, or across two.
    const text = fc.string({ unit: fc.constantFrom("a", "b", "\u001f", "é"), maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 30 }),
        fc.array(text, { minLength: 1, maxLength: 2 }),
        fc.nat(40),
        (values, patterns, enough) => {
          const plain = values.filter((value) => patterns.some((pattern) => value.includes(pattern))).length;
          expect(new TermSample(values, 10).valuesHolding(patterns, enough)).toBe(Math.min(plain, enough));
        },
      ),
      { seed: 20261207, numRuns: 2_000 },
    );
  });
});

describe("prefixEnd", () => {
  it("is the least string above every string with the prefix, in code point order", () => {
    expect(prefixEnd("jo")).toBe("jp");
    expect(prefixEnd("mar\u00ed")).toBe("mar\u00ee");
    expect(prefixEnd("a\ud7ff")).toBe("a\ue000"); // surrogates are not characters
    expect(prefixEnd("x\u{1f600}")).toBe("x\u{1f601}");
    expect(prefixEnd("ab\u{10ffff}")).toBe("ac");
    expect(prefixEnd("\u{10ffff}\u{10ffff}")).toBeNull();
    for (const prefix of ["jo", "ma\u{10ffff}", "\u00f6z"]) {
      const end = prefixEnd(prefix) as string;
      for (const tail of ["", "\u0000", "z", "\u{10ffff}", "\u{10ffff}\u{10ffff}"]) {
        expect(`${prefix}${tail}` < end && `${prefix}${tail}` >= prefix).toBe(true);
      }
    }
  });
});
