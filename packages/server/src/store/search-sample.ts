import { WALK_ROWS } from "./contact-search.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/**
 * Values of search_text taken from the table's statistics, to tell a common term from a rare one
 * without asking the planner on every search (`substringPlan`).
 */
export class TermSample {
  /**
   * The values joined by NUL, which no text value holds: a term is looked for in one native scan
   * that stops once it has seen enough, instead of one scan per value (a fifth of the time).
   */
  private readonly text: string;

  constructor(
    readonly values: readonly string[],
    /** How far a walk may go before the planner is asked after all: `WALK_ROWS` but in tests. */
    readonly walkRows: number,
  ) {
    this.text = values.join("\0");
  }

  get size(): number {
    return this.values.length;
  }

  /** How many values hold any of the patterns, counted up to `enough`. */
  valuesHolding(patterns: readonly string[], enough: number): number {
    // With no values the text is empty, as with one empty value.
    if (this.values.length === 0) return 0;
    // Each value is known by where it ends; a pattern cannot run across one, having no NUL.
    const ends = new Set<number>();
    for (const pattern of patterns) {
      if (pattern.includes("\0")) continue;
      let from = 0;
      while (ends.size < enough && from <= this.text.length) {
        const at = this.text.indexOf(pattern, from);
        if (at === -1) break;
        const next = this.text.indexOf("\0", at + pattern.length);
        const end = next === -1 ? this.text.length : next;
        ends.add(end);
        from = end + 1;
      }
    }
    return Math.min(ends.size, enough);
  }
}

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
