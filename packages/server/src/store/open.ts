import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
  const unlock = await lockDataDir(config.dataDir);
  const db = await openPglite(config.dataDir).catch(async (error) => {
    await unlock();
    throw error;
  });
  return Object.assign(Object.create(db) as Database, {
    close: async () => {
      await db.close();
      await unlock();
    },
  });
}

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

/**
 * The embedded database runs inside one process and must not be opened by two at once (a server
 * and the command line): a file holding the owner's process id says who has it. A crashed
 * owner's file is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, "contactd.pid");
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new DatabaseInUseError(
        `the embedded database in ${dataDir} is in use by process ${owner} (a running server?)`,
      );
    }
    await rm(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
