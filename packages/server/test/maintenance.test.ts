import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/store/database.js";
import { maintainDatabase } from "../src/store/maintenance.js";
import { migrate } from "../src/store/migrate.js";
import { openPostgres } from "../src/store/postgres.js";
import { sql } from "../src/store/sql.js";
import { backend, freshDatabase, newAccount } from "./harness.js";

/**
 * The embedded database has no autovacuum: the server does its work, on autovacuum's thresholds.
 * On both, it merges the trigram index's pending list, which every substring search reads whole.
 */
describe("database maintenance", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Database;
  let accountId: number;
  beforeAll(async () => {
    fresh = await freshDatabase();
    db = await fresh.open();
    await migrate(db);
    ({ accountId } = await newAccount(db));
  });
  afterAll(async () => {
    await db.close();
    await fresh.drop();
  });

  const addContacts = (from: number, to: number) =>
    db.execute(sql`
      INSERT INTO contacts (account_id, name, email)
      SELECT ${accountId}, 'Kept ' || n, 'kept' || n || '@example.com' FROM generate_series(${from}::int, ${to}::int) n`);
  const counters = async () => {
    const [row] = await db.query<{ vacuums: number; analyzes: number; dead: number }>(sql`
      SELECT vacuum_count::int AS vacuums, analyze_count::int AS analyzes, n_dead_tup::int AS dead
      FROM pg_stat_user_tables WHERE relname = 'contacts'`);
    return row;
  };

  it.runIf(backend === "postgres")(
    "merges PostgreSQL's pending lists it owns, and leaves vacuuming to autovacuum",
    async () => {
      // Autovacuum off for this table, so that only the call under test can merge the list.
      await db.exec("ALTER TABLE contacts SET (autovacuum_enabled = false)");
      await addContacts(1, 2000);

      // A role that does not own the index may not merge its list: nothing, and no error.
      const role = `contactd_reader_${process.pid}`;
      await db.exec(`CREATE ROLE ${role} LOGIN`);
      const asReader = new URL(fresh.url as string);
      asReader.username = role;
      const reader = openPostgres(asReader.toString(), 1);
      try {
        expect(await maintainDatabase(reader)).toEqual({ vacuumed: [], analyzed: [], pendingPages: 0 });
      } finally {
        await reader.close();
        await db.exec(`DROP ROLE ${role}`);
      }

      const merged = await maintainDatabase(db);
      expect(merged).toMatchObject({ vacuumed: [], analyzed: [] });
      expect(merged.pendingPages).toBeGreaterThan(0);
      expect((await maintainDatabase(db)).pendingPages).toBe(0);
      expect(await counters()).toMatchObject({ vacuums: 0, analyzes: 0 });
    },
  );

  it.runIf(backend === "pglite")("analyzes, vacuums and merges pending lists once each is due", async () => {
    // 300 new rows: past the analyze threshold (50 + 10 % of none), short of the insert one (1,000).
    await addContacts(1, 300);
    const first = await maintainDatabase(db);
    expect(first.analyzed).toContain("public.contacts");
    expect(first.vacuumed).not.toContain("public.contacts");

    // 1,200 more: past the insert threshold, so vacuumed (and analyzed).
    await addContacts(301, 1500);
    const second = await maintainDatabase(db);
    expect(second.vacuumed).toContain("public.contacts");
    expect(await counters()).toMatchObject({ vacuums: 1, dead: 0 });

    // Nothing since: nothing to do.
    expect(await maintainDatabase(db)).toEqual({ vacuumed: [], analyzed: [], pendingPages: 0 });

    // 100 renamed contacts: below both thresholds, but their new trigram entries wait in the
    // pending list, which is merged.
    await db.execute(
      sql`UPDATE contacts SET name = 'Renamed ' || id WHERE account_id = ${accountId} AND email <= 'kept1099@example.com'`,
    );
    const third = await maintainDatabase(db);
    expect(third).toMatchObject({ vacuumed: [], analyzed: [] });
    expect(third.pendingPages).toBeGreaterThan(0);
    expect((await maintainDatabase(db)).pendingPages).toBe(0);
    const [found] = await db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${accountId} AND search_text LIKE '%renamed 10%'`,
    );
    expect(found?.n).toBeGreaterThan(0);
  });
});
