import pg from "pg";
import type { Database, Queryable } from "./database.js";
import { PgListener } from "./listener.js";
import type { Sql } from "./sql.js";

// int8 (ids, counts) as numbers, matching PGlite: ids stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(statement: Sql) {
      const { text, params } = statement.toQuery();
      const result = await client.query(text, params);
      return result.rows as Row[];
    },
    async execute(statement: Sql) {
      const { text, params } = statement.toQuery();
      const result = await client.query(text, params);
      return result.rowCount ?? 0;
    },
    async exec(text: string) {
      await client.query(text);
    },
  };
}

export function openPostgres(connectionString: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const listener = new PgListener(connectionString);
  return {
    kind: "postgres",
    ...queryable(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work(queryable(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}
