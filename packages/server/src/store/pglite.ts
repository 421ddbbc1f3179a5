import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { Database, Queryable } from "./database.js";
import type { Sql } from "./sql.js";

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
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const client = await PGlite.create(dataDir, {
    extensions: { pg_trgm },
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  return {
    kind: "pglite",
    ...queryable(client),
    transaction: (work) => client.transaction((tx) => work(queryable(tx))),
    listen: (channel, onMessage) => client.listen(channel, onMessage),
    close: () => client.close(),
  };
}
