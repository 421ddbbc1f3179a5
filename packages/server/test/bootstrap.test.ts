import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { bootstrap } from "../src/core/accounts/bootstrap.js";
import { migrate } from "../src/store/migrate.js";
import { freshDatabase, tempBlobStore, testCore } from "./harness.js";

// Each test opens an empty database of its own, which takes seconds on a busy machine.
describe("first start", { timeout: 120_000 }, () => {
  it("creates one account with the given administrator credential, once, even when raced", async () => {
    const fresh = await freshDatabase();
    const db = await fresh.open();
    try {
      await migrate(db);
      const key = { key: "ck_scripted_admin", secret: "a-long-enough-secret" };
      const results = await Promise.all([1, 2, 3].map(() => bootstrap(db, { accountName: "Acme", key })));
      const created = results.filter((r) => r !== null);
      expect(created).toHaveLength(1);
      expect(created[0]?.account.name).toBe("Acme");
      const actor = await testCore(db, await tempBlobStore()).auth.authenticate(key.key, key.secret);
      expect(actor.role).toBe("administrator");
      expect(await bootstrap(db, { accountName: "Again" })).toBeNull();
    } finally {
      await db.close();
      await fresh.drop();
    }
  });

  it("generates a key and secret when none are given", async () => {
    const fresh = await freshDatabase();
    const db = await fresh.open();
    try {
      await migrate(db);
      const created = await bootstrap(db, { accountName: "Generated" });
      expect(created?.apiKey.key).toMatch(/^ck_[A-Za-z0-9_-]{20}$/);
      expect(created?.apiKey.secret.length).toBeGreaterThanOrEqual(40);
      const core = testCore(db, await tempBlobStore());
      await expect(core.auth.authenticate(created!.apiKey.key, created!.apiKey.secret)).resolves.toMatchObject({
        accountId: created!.account.id,
      });
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe("configuration", () => {
  it("has working defaults", () => {
    expect(loadConfig({})).toMatchObject({ dataDir: "./data", host: "127.0.0.1", port: 3000, databaseUrl: undefined });
  });

  it("refuses invalid settings with a message naming them", () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: "http" }, /PORT/],
      [{ PORT: "70000" }, /PORT/],
      [{ CONTACTD_ADMIN_KEY: "ck_only_key" }, /together/],
      [{ CONTACTD_ADMIN_KEY: "bad key!", CONTACTD_ADMIN_SECRET: "long-enough-secret-1" }, /CONTACTD_ADMIN_KEY/],
      [{ CONTACTD_ADMIN_KEY: "ck_goodkey", CONTACTD_ADMIN_SECRET: "short" }, /CONTACTD_ADMIN_SECRET/],
      [{ CONTACTD_DEFAULT_COUNTRY: "XX" }, /CONTACTD_DEFAULT_COUNTRY/],
      [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL/],
      [{ CONTACTD_LOG_LEVEL: "loud" }, /CONTACTD_LOG_LEVEL/],
      [{ CONTACTD_DB_POOL_SIZE: "0" }, /CONTACTD_DB_POOL_SIZE/],
      [{ CONTACTD_SHUTDOWN_TIMEOUT_MS: "-1" }, /CONTACTD_SHUTDOWN_TIMEOUT_MS/],
      // A misspelt name would otherwise leave its setting at the default without a word.
      [
        { CONTACTD_RATE_LIMT: "5" },
        /CONTACTD_RATE_LIMT is not a contactd setting \(did you mean CONTACTD_RATE_LIMIT\?\)/,
      ],
      [{ CONTACTD_DATADIR: "/tmp" }, /did you mean CONTACTD_DATA_DIR/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });
});
