import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { Database, Queryable } from "./database.js";
import { oneAtATime } from "./one-at-a-time.js";
import { PreparedStatements } from "./pglite-prepared.js";
import type { Sql } from "./sql.js";
import { timestamptzParser } from "./timestamps.js";

type Run = (statement: Sql) => Promise<{ rows: unknown[]; affected: number }>;

function queryable(run: Run, exec: (text: string) => Promise<unknown>): Queryable {
  return {
    async query<Row>(statement: Sql) {
      return (await run(statement)).rows as Row[];
    },
    async execute(statement: Sql) {
      return (await run(statement)).affected;
    },
    async exec(text: string) {
      await exec(text);
    },
  };
}

type Query = (text: string, params: unknown[]) => Promise<{ rows: unknown[]; affected: number }>;

function queryOn(client: PGlite | Transaction): Query {
  return async (text, params) => {
    const result = await client.query(text, params);
    return { rows: result.rows, affected: result.affectedRows ?? 0 };
  };
}

function rendered(query: Query): Run {
  return (statement) => {
    const { text, params } = statement.toQuery();
    return query(text, params);
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
  const prepared = new PreparedStatements(client);
  const plain = queryOn(client);
  // Every use of the client takes its turn in this queue, so that a prepared statement, which
  // runs outside PGlite's own locks, never starts inside a transaction or between the messages of
  // PGlite's `query`. Those locks are left out because their generator-based code left about 200
  // bytes a call for the old generation: a full collection every few seconds under load.
  const alone = oneAtATime();
  const run: Run = (statement) => {
    const { text, params } = statement.toQuery();
    if (!statement.reusePlan || !prepared.has(text)) return alone(() => plain(text, params));
    return alone(async () => {
      const answer = await prepared.run(text, params);
      // A NOTIFY the statement's commit delivered, raised again where PGlite hands it to listeners.
      for (const { channel, payload } of answer.notifications)
        await client.query("SELECT pg_notify($1, $2)", [channel, payload]);
      return answer;
    });
  };
  return {
    kind: "pglite",
    concurrentTransactions: false,
    ...queryable(run, (text) => alone(() => client.exec(text))),
    transaction: (work) =>
      alone(() => client.transaction((tx) => work(queryable(rendered(queryOn(tx)), (text) => tx.exec(text))))),
    listen: async (channel, onMessage) => {
      const unlisten = await alone(() => client.listen(channel, onMessage));
      return () => alone(() => unlisten());
    },
    poolStats: () => null,
    close: () => client.close(),
  };
}
