import type { Sql } from "./sql.js";

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(statement: Sql): Promise<Row[]>;
  /** Runs a statement and returns the number of rows it changed. */
  execute(statement: Sql): Promise<number>;
  /** Runs raw SQL text with no parameters (migrations: several statements at once). */
  exec(text: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: "postgres" | "pglite";
  /**
   * Whether transactions run side by side, each on a connection of its own (a pool). The embedded
   * database has one connection: a transaction holds every other statement until it ends, so work
   * that waits inside one transaction for another must not start them together there.
   */
  readonly concurrentTransactions: boolean;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. The
   * transaction's statements run one at a time in the order they were issued, so `work` may issue
   * the next before the last has finished (building one while the database runs the other); a
   * statement issued after one that failed fails too, as the transaction is aborted.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onMessage` with the payload of every NOTIFY on `channel` (sent by any process, on
   * commit). `null` means the listening connection was re-established and messages may have been
   * missed, so the listener should catch up from the database. Resolves to a function that stops.
   */
  listen(channel: string, onMessage: (payload: string | null) => void): Promise<() => Promise<void>>;
  /** The connection pool's state; null for the embedded database, which has one connection. */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Connections open. */
  total: number;
  /** Open connections not lent out. */
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

/** Postgres error codes the core reacts to. */
export const PG_UNIQUE_VIOLATION = "23505";
export const PG_FOREIGN_KEY_VIOLATION = "23503";

export interface PgError {
  code: string;
  constraint?: string;
}

export function isPgError(error: unknown, code: string): error is PgError {
  return typeof error === "object" && error !== null && (error as PgError).code === code;
}
