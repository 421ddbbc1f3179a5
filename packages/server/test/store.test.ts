import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/store/database.js";
import { migrate, pendingMigrations } from "../src/store/migrate.js";
import { sql } from "../src/store/sql.js";
import { plainTextArray } from "../src/store/text-arrays.js";
import { parseUtcTimestamp } from "../src/store/timestamps.js";
import { backend, newAccount, openTestDatabase } from "./harness.js";

describe(`store on ${backend}`, () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.close());

  it("applies migrations once and reports none pending", async () => {
    expect(await migrate(db)).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
  });

  it("returns int8 ids and counts as numbers from either driver", async () => {
    const admin = await newAccount(db);
    const [row] = await db.query<{ id: unknown; n: unknown }>(
      sql`SELECT id, (SELECT count(*) FROM accounts) AS n FROM accounts WHERE id = ${admin.accountId}`,
    );
    expect(typeof row?.id).toBe("number");
    expect(typeof row?.n).toBe("number");
  });

  it("reads timestamptz values as the instants the database holds, in every shape it writes them", async () => {
    // Fractions of every length, none, leap days, the ends of years, years before 100, and shapes
    // the fast path leaves to the driver's parser: years after 9999 and a session in another zone.
    const texts = [
      "2026-12-06 16:38:56.123456+00",
      "2026-12-06 16:38:56.1+00",
      "2026-12-06 16:38:56.12+00",
      "2026-12-06 16:38:56.999999+00",
      "2026-12-06 16:38:56.0005+00",
      "2026-12-06 16:38:56+00",
      "2024-02-29 23:59:59.999+00",
      "1999-12-31 23:59:59.5+00",
      "1970-01-01 00:00:00+00",
      "1900-03-01 12:00:00.25+00",
      "0100-01-01 00:00:00+00",
      "0099-06-15 08:30:00.75+00",
      "0001-01-01 00:00:00+00",
      "12026-01-01 00:00:00+00",
    ];
    const read = (zone: string, values: string[]) =>
      db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL TimeZone = '${zone}'`);
        return tx.query<{ t: Date; ms: number; text: string }>(sql`
          SELECT t, (extract(epoch FROM date_trunc('milliseconds', t)) * 1000)::bigint AS ms, t::text AS text
          FROM unnest(${values}::timestamptz[]) t`);
      });
    const instants = (rows: { t: Date; ms: number }[]) => ({
      read: rows.map((row) => row.t.getTime()),
      held: rows.map((row) => row.ms),
    });
    const utc = await read("UTC", texts);
    expect(utc.map((row) => row.text)).toEqual(texts);
    const inUtc = instants(utc);
    expect(inUtc.read).toEqual(inUtc.held);
    // Offsets of whole minutes only: PGlite's own parser cannot read the seconds of older offsets.
    const elsewhere = instants(await read("Asia/Kolkata", texts.slice(0, 9)));
    expect(elsewhere.read).toEqual(elsewhere.held);
    expect(parseUtcTimestamp("2026-12-06 16:38:56.123456+00")?.toISOString()).toBe("2026-12-06T16:38:56.123Z");
    for (const other of [
      "2026-12-06 16:38:56+05:30",
      "0044-03-15 12:00:00+00 BC",
      "infinity",
      "2026-12-06T16:38:56+00",
      "2026-12-06 16:38:5x+00",
    ]) {
      expect(parseUtcTimestamp(other)).toBeNull();
    }
  });

  it("reads text[] values element for element, in every shape PostgreSQL writes them", async () => {
    // Label lists (the fast path), then elements PostgreSQL quotes or writes as NULL.
    const arrays: (string | null)[][] = [
      [],
      ["vip"],
      ["lead", "vip", "émile", "日本", "a-b_c.d"],
      ["with space"],
      ["a,b"],
      ['say "hi"'],
      ["back\\slash"],
      ["{brace}"],
      [""],
      ["NULL"],
      ["null"],
      [null],
      ["x", null],
    ];
    for (const array of arrays) {
      const [row] = await db.query<{ read: unknown; text: string }>(
        sql`SELECT ${array}::text[] AS read, ${array}::text[]::text AS text`,
      );
      expect(row?.read).toEqual(array);
      const fast = plainTextArray(row?.text ?? "");
      if (fast !== null) expect(fast).toEqual(array);
    }
    expect(plainTextArray("{lead,vip,émile}")).toEqual(["lead", "vip", "émile"]);
    expect(plainTextArray("{}")).toEqual([]);
    // Shapes the fast path leaves to the driver's parser.
    for (const other of ['{"a b"}', "{x,NULL}", "{{a,b},{c,d}}", "[0:1]={a,b}", "{a\\,b}", "", "{"]) {
      expect(plainTextArray(other)).toBeNull();
    }
    const [nested] = await db.query<{ read: unknown }>(sql`SELECT '{{a,b},{c,d}}'::text[] AS read`);
    expect(nested?.read).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("runs prepared statements like any other: the same rows, errors and isolation from open transactions", async () => {
    const { accountId } = await newAccount(db);
    await db.execute(sql`
      INSERT INTO contacts (account_id, name, email, additional_attributes)
      VALUES (${accountId}, 'Ada', 'ada@example.com', '{"city": "London"}'), (${accountId}, 'Bob', NULL, '{}')`);
    const read = (name: string) => sql`
      SELECT id, name, email, additional_attributes, created_at, ARRAY[name, 'x'] AS tags
      FROM contacts WHERE account_id = ${accountId} AND name >= ${name} ORDER BY name`;
    const plain = await db.query(read("A"));
    for (let i = 0; i < 7; i++) expect(await db.query(read("A").prepared())).toEqual(plain);
    expect(plain[1]).toMatchObject({ name: "Bob", email: null, additional_attributes: {}, tags: ["Bob", "x"] });
    expect(plain[0]?.created_at).toBeInstanceOf(Date);
    const rename = sql`UPDATE contacts SET name = name || '!' WHERE account_id = ${accountId}`.prepared();
    expect(await db.execute(rename)).toBe(2);
    // A parameter the statement cannot take fails as a database error, and the next one runs.
    await expect(db.query(sql`SELECT ${"x"}::int AS n`.prepared())).rejects.toMatchObject({ code: "22P02" });
    expect(await db.query(sql`SELECT ${7}::int AS n`.prepared())).toEqual([{ n: 7 }]);
    if (backend === "pglite") {
      const [kept] = await db.query<{ generic_plans: number }>(
        sql`SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE '%ARRAY[name, ''x'']%'`,
      );
      expect(kept?.generic_plans).toBeGreaterThan(0);
    }
    // A statement issued while a transaction is open does not see what the transaction wrote.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const count = sql`SELECT count(*) AS n FROM contacts WHERE account_id = ${accountId}`.prepared();
    let counted: number | undefined;
    const transaction = db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO contacts (account_id, name) VALUES (${accountId}, 'Cy')`);
      void db.query<{ n: number }>(count).then(([row]) => {
        counted = row?.n;
      });
      await held;
      throw new Error("rolled back");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await expect(transaction).rejects.toThrow("rolled back");
    await expect.poll(() => counted).toBe(2);
  });

  it("answers prepared and plain statements issued at once, each with its own rows", async () => {
    const plain = (i: number) => sql`SELECT ${i}::int AS n, repeat('p', ${i}) AS text`;
    const prepared = (i: number) => sql`SELECT ${i}::int AS n, repeat('q', ${i}) AS text`.prepared();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => db.query(i % 2 ? prepared(i) : plain(i))));
    expect(answers).toEqual(answers.map((_, i) => [{ n: i, text: (i % 2 ? "q" : "p").repeat(i) }]));
  });

  it("answers prepared statements that raise a notice, send a NOTIFY, fail or return many rows as unprepared ones", async () => {
    const { accountId } = await newAccount(db);
    await db.exec(`CREATE FUNCTION test_noted(n int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN RAISE NOTICE 'noted %', n; RETURN n; END $$`);
    try {
      expect(await db.query(sql`SELECT test_noted(${5}::int) AS n`.prepared())).toEqual([{ n: 5 }]);
    } finally {
      await db.exec("DROP FUNCTION test_noted(int)");
    }
    // A NOTIFY sent on the statement's own commit reaches a listener, once.
    const heard: (string | null)[] = [];
    const stop = await db.listen("test_prepared", (payload) => heard.push(payload));
    expect(await db.query(sql`SELECT pg_notify('test_prepared', ${"hello"}) AS sent`.prepared())).toHaveLength(1);
    await expect.poll(() => heard).toEqual(["hello"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual(["hello"]);
    await stop();
    // An error rejects with the database's code and constraint, and the next statement runs.
    const insert = () =>
      db.execute(
        sql`INSERT INTO contacts (account_id, name, email) VALUES (${accountId}, 'Twin', 'twin@example.com')`.prepared(),
      );
    expect(await insert()).toBe(1);
    await expect(insert()).rejects.toMatchObject({ code: "23505", constraint: "contacts_email_key" });
    const count = sql`SELECT count(*) AS n FROM contacts WHERE account_id = ${accountId}`.prepared();
    expect(await db.query(count)).toEqual([{ n: 1 }]);
    // An answer longer than one of PGlite's buffers, with nulls and text beyond one byte a character.
    const many = await db.query<{ n: number; text: string | null }>(
      sql`
      SELECT g AS n, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('é', g % 300) END AS text
      FROM generate_series(1, ${5000}::int) g`.prepared(),
    );
    expect(many).toHaveLength(5000);
    expect(many[4999]).toEqual({ n: 5000, text: "é".repeat(200) });
    expect(many[6]).toEqual({ n: 7, text: null });
    expect(many.every((row, i) => row.n === i + 1)).toBe(true);
  });

  it("builds parameterised statements from nested fragments", () => {
    const inner = sql`b = ${2}`;
    const query = sql`SELECT * FROM t WHERE a = ${1} AND ${inner} AND c IN (${sql.join([sql`${3}`, sql`${4}`])})`;
    expect(query.toQuery()).toEqual({
      text: "SELECT * FROM t WHERE a = $1 AND b = $2 AND c IN ($3, $4)",
      params: [1, 2, 3, 4],
    });
  });

  it("rolls a failed transaction back entirely", async () => {
    const admin = await newAccount(db);
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO contacts (account_id, name) VALUES (${admin.accountId}, 'ghost')`);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const rows = await db.query(sql`SELECT 1 FROM contacts WHERE account_id = ${admin.accountId}`);
    expect(rows).toHaveLength(0);
  });

  it("enforces contact invariants in the database itself", async () => {
    const admin = await newAccount(db);
    const insert = (column: string, value: unknown) =>
      db.execute(sql`INSERT INTO contacts (account_id, ${sql.raw(column)}) VALUES (${admin.accountId}, ${value})`);
    const insertJson = (column: string, value: unknown) =>
      db.execute(
        sql`INSERT INTO contacts (account_id, ${sql.raw(column)}) VALUES (${admin.accountId}, ${sql.json(value)})`,
      );
    await expect(insert("email", "Upper@Example.com")).rejects.toMatchObject({ code: "23514" });
    await expect(insert("phone_e164", "5550123")).rejects.toMatchObject({ code: "23514" });
    await expect(insert("name", "x".repeat(256))).rejects.toMatchObject({ code: "23514" });
    await expect(insertJson("custom_attributes", [1, 2])).rejects.toMatchObject({ code: "23514" });
    await insert("email", "a@example.com");
    await expect(insert("email", "a@example.com")).rejects.toMatchObject({
      code: "23505",
      constraint: "contacts_email_key",
    });
  });
});
