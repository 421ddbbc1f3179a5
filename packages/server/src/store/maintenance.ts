import type { Database } from "./database.js";
import { sql } from "./sql.js";

export interface MaintenanceReport {
  /** Tables vacuumed and analyzed. */
  vacuumed: string[];
  /** Tables analyzed only. */
  analyzed: string[];
  /** Pages of GIN pending lists merged into their indexes. */
  pendingPages: number;
}

interface DueTable {
  name: string;
  needs_vacuum: boolean;
  needs_analyze: boolean;
}

/**
 * What PostgreSQL's autovacuum would do now, for the embedded database, which has none. Without
 * it, dead rows would never be reclaimed, the visibility map that index-only scans rely on would
 * decay, statistics would age, and the trigram index's pending list (where GIN queues new entries)
 * would grow to 4 MB, every page of which each substring search reads.
 *
 * The tables past autovacuum's own thresholds (its settings, read from the database) are vacuumed
 * or analyzed, then every GIN pending list is merged into its index. Each step holds PGlite's only
 * connection, so requests wait while it runs. Null on PostgreSQL, where autovacuum does this.
 */
export async function maintainWithoutAutovacuum(db: Database): Promise<MaintenanceReport | null> {
  if (db.kind !== "pglite") return null;
  // Without this, PGlite's counters showed none of the writes just made; the next statement sees them.
  await db.query(sql`SELECT pg_stat_force_next_flush()`);
  const due = await dueTables(db);
  for (const table of due) await db.exec(`${table.needs_vacuum ? "VACUUM (ANALYZE)" : "ANALYZE"} ${table.name}`);
  return {
    vacuumed: due.filter((table) => table.needs_vacuum).map((table) => table.name),
    analyzed: due.filter((table) => !table.needs_vacuum).map((table) => table.name),
    pendingPages: await mergeGinPendingLists(db),
  };
}

/** Autovacuum's tests, with its settings: dead rows, rows inserted, rows changed since analyzed. */
async function dueTables(db: Database): Promise<DueTable[]> {
  return db.query<DueTable>(sql`
    WITH setting AS (
      SELECT current_setting('autovacuum_vacuum_threshold')::float8 AS vacuum_base,
        current_setting('autovacuum_vacuum_scale_factor')::float8 AS vacuum_share,
        current_setting('autovacuum_vacuum_insert_threshold')::float8 AS insert_base,
        current_setting('autovacuum_vacuum_insert_scale_factor')::float8 AS insert_share,
        current_setting('autovacuum_analyze_threshold')::float8 AS analyze_base,
        current_setting('autovacuum_analyze_scale_factor')::float8 AS analyze_share
    ), counted AS (
      SELECT format('%I.%I', s.schemaname, s.relname) AS name, greatest(c.reltuples, 0) AS rows,
        s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    ), tested AS (
      SELECT name,
        n_dead_tup > vacuum_base + vacuum_share * rows OR n_ins_since_vacuum > insert_base + insert_share * rows
          AS needs_vacuum,
        n_mod_since_analyze > analyze_base + analyze_share * rows AS needs_analyze
      FROM counted, setting
    )
    SELECT name, needs_vacuum, needs_analyze FROM tested WHERE needs_vacuum OR needs_analyze ORDER BY name`);
}

async function mergeGinPendingLists(db: Database): Promise<number> {
  const [row] = await db.query<{ pages: number }>(sql`
    SELECT coalesce(sum(gin_clean_pending_list(c.oid)), 0)::integer AS pages
    FROM pg_class c JOIN pg_am am ON am.oid = c.relam
    WHERE c.relkind = 'i' AND am.amname = 'gin' AND c.relnamespace = current_schema()::regnamespace`);
  return row?.pages ?? 0;
}
