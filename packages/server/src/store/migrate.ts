import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.js";
import { sql } from "./sql.js";

/** Plain, ordered, forward-only SQL files shipped beside the compiled code. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

// Any fixed number: serialises concurrent starts of several server processes.
const MIGRATION_LOCK = 7_404_011;

export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    // A migration may rewrite a large table: it is not held to the request-time statement timeout.
    await tx.exec("SET LOCAL statement_timeout = 0");
    await tx.query(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    // Under the lock too: two processes creating it at once can clash in the catalog.
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const rows = await tx.query<{ version: string }>(sql`SELECT version FROM schema_migrations`);
    const done = new Set(rows.map((row) => row.version));
    for (const file of files) {
      const version = file.replace(/\.sql$/, "");
      if (done.has(version)) continue;
      await tx.exec(await readFile(new URL(file, `file://${dir}`), "utf8"));
      await tx.query(sql`INSERT INTO schema_migrations (version) VALUES (${version})`);
      applied.push(version);
    }
  });
  return applied;
}

export async function pendingMigrations(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  const rows = await db.query<{ version: string }>(sql`SELECT version FROM schema_migrations`);
  const done = new Set(rows.map((row) => row.version));
  return files.map((file) => file.replace(/\.sql$/, "")).filter((version) => !done.has(version));
}
