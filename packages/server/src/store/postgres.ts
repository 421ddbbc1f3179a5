import { createHash } from "node:crypto";
import pg from "pg";
import type { Database, Queryable } from "./database.js";
import { PgListener } from "./listener.js";
import { oneAtATime } from "./one-at-a-time.js";
import { MAX_PREPARED_TEXTS, type Sql } from "./sql.js";
import { textArrayParser } from "./text-arrays.js";
import { timestamptzParser } from "./timestamps.js";

// int8 (ids, counts) as numbers, matching PGlite: ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
  timestamptzParser(pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ)),
);
// text[] (label names); PGlite parses arrays itself, before any parser it is given. The driver's
// list of type ids names no array type.
const TEXT_ARRAY = 1009 as Parameters<typeof pg.types.getTypeParser>[0];
pg.types.setTypeParser(TEXT_ARRAY, textArrayParser(pg.types.getTypeParser(TEXT_ARRAY)));

function queryable(run: (config: pg.QueryConfig | string) => Promise<pg.QueryResult>): Queryable {
  return {
    async query<Row>(statement: Sql) {
      const result = await run(queryConfig(statement));
      return result.rows as Row[];
    },
    async execute(statement: Sql) {
      const result = await run(queryConfig(statement));
      return result.rowCount ?? 0;
    },
    async exec(text: string) {
      await run(text);
    },
  };
}

/**
 * A connection's statements one at a time, in the order issued: each is sent once the one before
 * it has finished (pg's own queue for this is deprecated).
 */
function inIssueOrder(client: pg.PoolClient): (config: pg.QueryConfig | string) => Promise<pg.QueryResult> {
  const inTurn = oneAtATime();
  return (config) => inTurn(() => client.query(config));
}

const statementNames = new Map<string, string>();

/** A prepared statement is named by its text, so one name never stands for two texts. */
function queryConfig(statement: Sql): pg.QueryConfig {
  const { text, params } = statement.toQuery();
  if (!statement.reusePlan) return { text, values: params };
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= MAX_PREPARED_TEXTS) return { text, values: params };
    name = `p${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: params };
}

export function openPostgres(
  connectionString: string,
  poolSize: number,
  options: { statementTimeoutMs?: number } = {},
): Database {
  // No JIT: every statement here is short, and compiling one (tens of milliseconds, chosen from
  // cost estimates that a join's misestimate inflates) cost more than it saved. A statement
  // running past the timeout is cancelled (migrations lift it for their own transaction). Times
  // are written in UTC, the shape `timestamptzParser` reads fastest (the SQL names its zones).
  const settings = `-c jit=off -c statement_timeout=${options.statementTimeoutMs ?? 0} -c TimeZone=UTC`;
  const pool = new pg.Pool({ connectionString, max: poolSize, options: settings });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const listener = new PgListener(connectionString);
  return {
    kind: "postgres",
    concurrentTransactions: true,
    ...queryable((config) => pool.query(config)),
    async transaction(work) {
      const client = await pool.connect();
      const run = inIssueOrder(client);
      try {
        await run("BEGIN");
        const result = await work(queryable(run));
        await run("COMMIT");
        return result;
      } catch (error) {
        await run("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}
