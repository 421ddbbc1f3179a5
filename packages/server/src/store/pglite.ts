import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { Database, Queryable } from "./database.js";
import type { Sql } from "./sql.js";
import { timestamptzParser } from "./timestamps.js";

function queryable(client: PGlite | Transaction): Queryable {
  return {
    async query<Row>(statement: Sql) {
      const { text, params } = statement.toQuery();
      const result = await client.query<Row>(text, params);
      return result.rows;
    },
    async execute(statement: Sql) {
      const { text, params } = statement.toQuery();
      const result = await client.query(text, params);
      return result.affectedRows ?? 0;
    },
    async exec(text: string) {
      await client.exec(text);
    },
  };
}

/**
 * Embedded PostgreSQL in this process. `dataDir` is a folder, or undefined for memory only.
 * One connection: queries run one at a time, which is fine for a laptop, demos and tests.
 */
export async function openPglite(dataDir: string | undefined, options: { template?: Blob } = {}): Promise<Database> {
  return wrap(await createClient(dataDir, options.template));
}

/**
 * A dump of a new in-memory database after `prepare` ran on it (e.g. migrations). Opening a copy
 * with `openPglite(undefined, { template })` skips initdb, which is most of PGlite's start time.
 */
export async function pgliteTemplate(prepare: (db: Database) => Promise<void>): Promise<Blob> {
  const client = await createClient(undefined, undefined);
  await prepare(wrap(client));
  const dump = await client.dumpDataDir("none");
  await client.close();
  return dump;
}

function createClient(dataDir: string | undefined, template: Blob | undefined): Promise<PGlite> {
  return PGlite.create(dataDir, {
    extensions: { pg_trgm },
    ...(template ? { loadDataDir: template } : {}),
    parsers: {
      [types.INT8]: (value: string) => Number(value),
      [types.TIMESTAMPTZ]: timestamptzParser(types.parsers[types.TIMESTAMPTZ] as (text: string) => unknown),
    },
  });
}

function wrap(client: PGlite): Database {
  return {
    kind: "pglite",
    concurrentTransactions: false,
    ...queryable(client),
    transaction: (work) => client.transaction((tx) => work(queryable(tx))),
    listen: (channel, onMessage) => client.listen(channel, onMessage),
    poolStats: () => null,
    close: () => client.close(),
  };
}
