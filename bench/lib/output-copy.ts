import { join } from "node:path";
import { phase } from "./phase.js";
import type { Psql } from "./psql.js";
import { round } from "./util.js";

/**
 * What an import writes beside the contacts, per contact: its history entry, its event and its
 * label links. Written again with COPY into indexed copies of their tables (with the contacts'
 * COPY, the least it costs to write the same data once), this shows how much of the import's
 * distance to the contacts-only COPY is the data it must write and how much is its own work.
 */
const OUTPUT_TABLES = ["activities", "events", "contact_labels"] as const;

export interface OutputCopy {
  tables: Record<string, { rows: number; seconds: number; walMb: number | null }>;
  seconds: number;
}

export async function copyImportOutput(pg: Psql, db: string, dir: string, accountId: number): Promise<OutputCopy> {
  const tables: OutputCopy["tables"] = {};
  for (const name of OUTPUT_TABLES) {
    const file = join(dir, `${name}.csv`);
    const copyName = `bench_${name}_indexed`;
    await pg.run(db, `\\copy (SELECT * FROM ${name} WHERE account_id = ${accountId}) TO '${file}' WITH (FORMAT csv)`);
    // Without INCLUDING IDENTITY the ids are plain columns, written as the import wrote them.
    // Foreign keys and triggers are not copied, so this costs a little less than the import's writes.
    await pg.run(
      db,
      `CREATE TABLE ${copyName} (LIKE ${name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
    );
    await pg.run(db, "CHECKPOINT");
    const copied = await phase(
      `COPY into ${copyName}`,
      null,
      () => pg.run(db, `\\copy ${copyName} FROM '${file}' WITH (FORMAT csv)`),
      { psql: pg, db },
    );
    const rows = Number(await pg.run(db, `SELECT count(*) FROM ${copyName}`));
    tables[name] = { rows, seconds: copied.stats.seconds, walMb: copied.stats.walMb };
  }
  const seconds = round(
    Object.values(tables).reduce((sum, t) => sum + t.seconds, 0),
    3,
  );
  return { tables, seconds };
}
