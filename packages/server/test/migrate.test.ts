import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate } from "../src/store/migrate.js";
import { backend, freshDatabase } from "./harness.js";

describe.skipIf(backend !== "postgres")("migrations", () => {
  it("are applied once when several processes start on an empty database at the same moment", async () => {
    const fresh = await freshDatabase();
    const dbs = await Promise.all([1, 2, 3, 4].map(() => fresh.open()));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith(".sql"));
      expect(applied.flat()).toHaveLength(files.length);
    } finally {
      for (const db of dbs) await db.close();
      await fresh.drop();
    }
  });
});
