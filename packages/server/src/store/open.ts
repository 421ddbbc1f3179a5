import { mkdir } from "node:fs/promises";
import type { Database } from "./database.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

/**
 * PostgreSQL when DATABASE_URL is set, otherwise embedded PGlite in the data directory (which runs
 * in this process and has no statement timeout).
 */
export async function openDatabase(config: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  statementTimeoutMs?: number;
}): Promise<Database> {
  if (config.databaseUrl) {
    return openPostgres(config.databaseUrl, config.poolSize, { statementTimeoutMs: config.statementTimeoutMs });
  }
  await mkdir(config.dataDir, { recursive: true });
  return openPglite(config.dataDir);
}
