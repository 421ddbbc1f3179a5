import { type TermSample, WALK_ROWS } from "./contact-search.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

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
  return values.length >= MIN_VALUES ? { values, walkRows: WALK_ROWS } : null;
}

/** Fewer values than this say too little about how common a term is (a nearly empty table). */
const MIN_VALUES = 100;
