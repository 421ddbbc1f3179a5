import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/store/database.js";
import { migrate, pendingMigrations } from "../src/store/migrate.js";
import { sql } from "../src/store/sql.js";
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
