/**
 * Batches in flight together: a batch is matched and written while the batches before it are still
 * being written, and commits after them. What one batch tells the next, and the waits that keep
 * them in file order without one waiting on a lock another holds while that one waits on it.
 */
import type { Queryable } from "../../store/database.js";

/** A batch handed to the database, as the batch after it sees it. */
export interface BatchInFlight {
  /**
   * The keys its rows take (`kind:value`, and `contact:<id>` for a contact a row updates) → row,
   * once it has decided every row. Later batches read them instead of the database, which cannot
   * show them this batch's writes before they commit.
   */
  taken: Promise<Map<string, number>>;
  /** Settles once its contacts, labels and history are written (not yet committed). */
  written: Promise<void>;
  /** Settles once it has committed (true: the import stops after it) or rolled back; rejects when it failed. */
  done: Promise<boolean>;
  /** Set when its writes went back on a decision (a row failed on a key another writer took): `taken` was wrong. */
  redecided: boolean;
  /** Set once it has committed: from then on the database shows what it wrote. */
  committed: boolean;
  /** The batch before it, until this one commits. */
  before: BatchInFlight | null;
}

/** This batch must not land: the one before it stopped the import. */
export class Cancelled extends Error {}
/** This batch decided from keys the one before it published and then went back on: decide again. */
export class Redecide extends Error {}

/**
 * Starts a batch's transaction. With batches still in flight before it, this one looks up, decides
 * and writes its rows while they write, and commits after the batch before it commits. A batch
 * never waits for a later one, which waits for it:
 * - this batch's lookup locks only contacts it will write, and waits for any a batch before holds;
 * - its new contacts take no key a batch before took (it read them from their `taken`);
 * - it creates and links labels only once the batch before has written (which waited for the one
 *   before it; they may add the same new label), and writes the import's own rows (checkpoint,
 *   reports, keys) only once the batch before has committed.
 */
export function startBatch(
  previous: BatchInFlight | null,
  write: (stages: BatchStages) => Promise<void>,
  afterCommit: () => Promise<boolean>,
): BatchInFlight {
  const taken = settledLater<Map<string, number>>();
  const written = settledLater<void>();
  const batch: BatchInFlight = {
    taken: taken.promise,
    written: written.promise,
    done: Promise.resolve(false),
    redecided: false,
    committed: false,
    before: previous,
  };
  const stages: BatchStages = { previous, self: batch, decided: taken.resolve, wrote: written.resolve };
  const run = async (): Promise<boolean> => {
    try {
      await write(stages);
    } catch (error) {
      if (error instanceof Cancelled) return true;
      if (!(error instanceof Redecide)) throw error;
      // Decide again once the batch before has committed, from what the database then holds.
      if (await (previous as BatchInFlight).done) return true;
      batch.redecided = true;
      await write({ ...stages, previous: null });
    }
    batch.committed = true;
    batch.before = null;
    return afterCommit();
  };
  batch.done = handledLater(
    run().catch((error: unknown) => {
      taken.reject(error);
      written.reject(error);
      throw error;
    }),
  );
  return batch;
}

/** A promise settled from outside, whose rejection is handled where it is awaited. */
function settledLater<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = handledLater(
    new Promise<T>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    }),
  );
  return { promise, resolve, reject };
}

/** Where a batch stands against the one before it, and how it tells the one after it. */
export interface BatchStages {
  previous: BatchInFlight | null;
  self: BatchInFlight;
  decided: (taken: Map<string, number>) => void;
  wrote: () => void;
}

/** Where a key was taken (`kind:value` → row). */
export interface KeysLookup {
  get(key: string): number | undefined;
}

/** Keys taken, read from several sources in turn (the first that knows a key wins), without copying them together. */
export class TakenKeys implements KeysLookup {
  constructor(private readonly sources: readonly KeysLookup[]) {}

  get(key: string): number | undefined {
    for (const source of this.sources) {
      const row = source.get(key);
      if (row !== undefined) return row;
    }
    return undefined;
  }
}

/** The keys of the batches before this one that have not committed yet (a later batch's keys win). */
export async function takenByBatchesBefore(previous: BatchInFlight | null): Promise<TakenKeys> {
  const uncommitted: BatchInFlight[] = [];
  for (let batch = previous; batch && !batch.committed; batch = batch.before) uncommitted.push(batch);
  return new TakenKeys(await Promise.all(uncommitted.map((batch) => batch.taken)));
}

/** Settles once `previous` has written; fails with `Redecide` when it went back on a decision this batch read. */
export function writtenAsDecided(previous: BatchInFlight): Promise<void> {
  return handledLater(
    previous.written.then(() => {
      if (previous.redecided) throw new Redecide();
    }),
  );
}

/** `tx` with its statements held until `turn` settles, then sent in the order issued (or failed with it). */
export function heldUntil(turn: Promise<void>, tx: Queryable): Queryable {
  return {
    query: async (statement) => {
      await turn;
      return tx.query(statement);
    },
    execute: async (statement) => {
      await turn;
      return tx.execute(statement);
    },
    exec: async (text) => {
      await turn;
      return tx.exec(text);
    },
  };
}

/** Work started ahead whose failure is dealt with where it is awaited, later (not "unhandled"). */
export function handledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Waits for statements issued together; the first to fail, in the order issued, is the error. */
export async function allIssued(statements: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(statements);
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}
