import { join } from "node:path";
import { phase } from "./phase.js";
import type { Psql } from "./psql.js";
import { round } from "./util.js";

/**
 * What an import writes beside the contacts, per contact: its history entry, its event and its
 * label links. Written again with COPY into indexed copies of their tables (with the contacts'
 * COPY, the least it costs to write the same data once), this shows how much of the import's
 * distance to the contacts-only COPY is the data it must write and how much is its own work.
 * With `foreignKeys`, the copies also get the foreign keys of the product's tables (to contacts,
 * labels, users and accounts), whose per-row checks every write into those tables pays.
 */
const OUTPUT_TABLES = ["activities", "events", "contact_labels"] as const;

export interface OutputCopy {
  tables: Record<string, { rows: number; seconds: number; walMb: number | null }>;
  seconds: number;
}

export async function copyImportOutput(
  pg: Psql,
  db: string,
  dir: string,
  accountId: number,
  options: { foreignKeys: boolean },
): Promise<OutputCopy> {
  const tables: OutputCopy["tables"] = {};
  for (const name of OUTPUT_TABLES) {
    const file = join(dir, `${name}.csv`);
    const copyName = `bench_${name}_${options.foreignKeys ? "with_fks" : "indexed"}`;
    await pg.run(db, `\\copy (SELECT * FROM ${name} WHERE account_id = ${accountId}) TO '${file}' WITH (FORMAT csv)`);
    // Without INCLUDING IDENTITY the ids are plain columns, written as the import wrote them.
    // LIKE copies no foreign keys (nor triggers); they are added below when asked for.
    await pg.run(
      db,
      `CREATE TABLE ${copyName} (LIKE ${name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
    );
    if (options.foreignKeys) await addForeignKeysOf(pg, db, name, copyName);
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

/** Gives `copyName` the foreign keys `table` has, referring to the same tables. */
async function addForeignKeysOf(pg: Psql, db: string, table: string, copyName: string): Promise<void> {
  const definitions = await pg.run(
    db,
    `SELECT string_agg(pg_get_constraintdef(oid), E'\\n') FROM pg_constraint
     WHERE conrelid = '${table}'::regclass AND contype = 'f'`,
  );
  for (const definition of definitions.split("\n").filter(Boolean)) {
    await pg.run(db, `ALTER TABLE ${copyName} ADD ${definition}`);
  }
}
