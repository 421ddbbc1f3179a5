import type { Database } from "../../store/database.js";
import { markIdempotencyKeyApplied } from "../../store/idempotency.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";

/** The Idempotency-Key a request's work runs under. */
export interface IdempotencyScope {
  key: string;
  /** Set once a transaction that marked the key has committed; later ones need not mark again. */
  marked: boolean;
}

/** The actor of a request holding `key`: the work done as it marks the key applied. */
export function actingUnderKey(actor: Actor, key: string): Actor {
  return { ...actor, idempotency: { key, marked: false } };
}

/**
 * What the actor's work runs with. For a request holding an Idempotency-Key, every transaction
 * also marks that key applied: the mark commits with the write, or neither does, so after a crash
 * the key tells whether its request's write happened. So a POST's writes run in transactions, even
 * a single INSERT (test/idempotency-routes.test.ts checks every native POST).
 *
 * The key travels with the actor rather than in an AsyncLocalStorage: on Node 20 the first use of
 * one turns on async hooks for the life of the process, and every later request paid for them.
 */
export function depsFor(deps: CoreDeps, actor: Actor): CoreDeps {
  const scope = actor.idempotency;
  return scope ? { ...deps, db: markingTransactions(deps.db, actor.accountId, scope) } : deps;
}

function markingTransactions(db: Database, accountId: number, scope: IdempotencyScope): Database {
  const transaction: Database["transaction"] = (work) => {
    if (scope.marked) return db.transaction(work);
    return db
      .transaction(async (tx) => {
        await markIdempotencyKeyApplied(tx, accountId, scope.key);
        return work(tx);
      })
      .then((result) => {
        scope.marked = true;
        return result;
      });
  };
  return Object.assign(Object.create(db) as Database, { transaction });
}
