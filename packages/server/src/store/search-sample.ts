import { WALK_ROWS } from "./contact-search.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/**
 * Values of search_text taken from the table's statistics, to tell a common term from a rare one
 * without asking the planner on every search (`substringPlan`).
 */
export class TermSample {
  /**
   * For each run of three UTF-16 code units, the values holding it (indexes, ascending). A term is
   * then checked only against the values holding its least common run: for a rare term, a few or
   * none, where a scan of every value cost a twentieth of the search's own CPU.
   */
  private readonly byTrigram = new Map<string, number[]>();

  constructor(
    readonly values: readonly string[],
    /** How far a walk may go before the planner is asked after all: `WALK_ROWS` but in tests. */
    readonly walkRows: number,
  ) {
    values.forEach((value, index) => {
      for (let at = 0; at + TRIGRAM <= value.length; at++) {
        const key = value.slice(at, at + TRIGRAM);
        const holders = this.byTrigram.get(key);
        if (holders === undefined) this.byTrigram.set(key, [index]);
        else if (holders[holders.length - 1] !== index) holders.push(index);
      }
    });
  }

  get size(): number {
    return this.values.length;
  }

  /** How many values hold any of the patterns, counted up to `enough`. */
  valuesHolding(patterns: readonly string[], enough: number): number {
    const holding = new Set<number>();
    for (const pattern of patterns) {
      for (const index of this.candidates(pattern)) {
        if (holding.size >= enough) return enough;
        if ((this.values[index] as string).includes(pattern)) holding.add(index);
      }
    }
    return Math.min(holding.size, enough);
  }

  /** The values that may hold `pattern`: those holding its least common trigram, else all of them. */
  private candidates(pattern: string): Iterable<number> {
    if (pattern.length < TRIGRAM) return this.values.keys();
    let fewest: number[] = NONE;
    for (let at = 0; at + TRIGRAM <= pattern.length; at++) {
      const holders = this.byTrigram.get(pattern.slice(at, at + TRIGRAM)) ?? NONE;
      if (at === 0 || holders.length < fewest.length) fewest = holders;
      if (fewest.length === 0) break;
    }
    return fewest;
  }
}

const TRIGRAM = 3;
const NONE: number[] = [];

/**
 * The values of contacts.search_text that the last ANALYZE kept: its most common values and
 * histogram bounds (about 500, the column's statistics target). The planner estimates how common a
 * LIKE pattern is from the same values. Null when the table has not been analysed yet.
 */
export async function loadSearchSample(db: Queryable): Promise<TermSample | null> {
  const [row] = await db.query<{ common: string[] | null; bounds: string[] | null }>(sql`
    SELECT most_common_vals::text::text[] AS common, histogram_bounds::text::text[] AS bounds
    FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'contacts' AND attname = 'search_text'`);
  const values = [...(row?.common ?? []), ...(row?.bounds ?? [])];
  return values.length >= MIN_VALUES ? new TermSample(values, WALK_ROWS) : null;
}

/** Fewer values than this say too little about how common a term is (a nearly empty table). */
const MIN_VALUES = 100;
