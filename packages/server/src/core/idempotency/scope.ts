import { AsyncLocalStorage } from "node:async_hooks";
import type { Database, Queryable } from "../../store/database.js";
import { markIdempotencyKeyApplied } from "../../store/idempotency.js";

/** The key of the request being served, while its work runs. */
interface Scope {
  accountId: number;
  key: string;
  /** Set once a transaction that marked the key has committed; later ones need not mark again. */
  marked: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

/** Runs `work` (and everything it starts) as the work of the request holding `key`. */
export function runUnderIdempotencyKey<T>(accountId: number, key: string, work: () => T): T {
  return scopes.run({ accountId, key, marked: false }, work);
}

/**
 * The database, with every transaction run for a request holding an Idempotency-Key also marking
 * that key applied. The mark commits with the write, or neither does, so after a crash the key
 * tells whether its request's write happened. So a POST's writes run in transactions, even a
 * single INSERT (test/idempotency-routes.test.ts checks every native POST).
 */
export function markingTransactions(db: Database): Database {
  const transaction = <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    const scope = scopes.getStore();
    if (!scope || scope.marked) return db.transaction(work);
    return db
      .transaction(async (tx) => {
        await markIdempotencyKeyApplied(tx, scope.accountId, scope.key);
        return work(tx);
      })
      .then((result) => {
        scope.marked = true;
        return result;
      });
  };
  return Object.assign(Object.create(db) as Database, { transaction });
}
