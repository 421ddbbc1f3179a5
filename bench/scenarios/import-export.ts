import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { COPY_COLUMNS } from "../generate-csv.js";
import type { StageFile } from "../lib/dataset.js";
import { type PhaseStats, phase } from "../lib/phase.js";
import type { Psql } from "../lib/psql.js";
import type { Row } from "../lib/scenario.js";
import type { StageImport } from "../lib/stage-import.js";
import { fmt, round } from "../lib/util.js";

/**
 * Scenarios 4 and 5, measured as bench/bulk.ts measures them but on the suite's dataset: the staged
 * imports against COPY of the same rows into copies of contacts, and the large account's export
 * against COPY TO STDOUT of the same columns.
 */
export const IMPORT_GOAL = 0.5;
export const IMPORT_RSS_MB = 300;
export const EXPORT_GOAL = 0.6;
export const EXPORT_RSS_MB = 150;

export const INDEXED = "bench_contacts_indexed";
export const PLAIN = "bench_contacts_plain";

/** The COPY baselines' tables: contacts with all its indexes, and with none. */
export async function createCopyTables(psql: Psql, db: string): Promise<number> {
  await psql.run(
    db,
    `CREATE TABLE ${INDEXED} (LIKE contacts INCLUDING ALL);
     CREATE TABLE ${PLAIN} (LIKE contacts INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING CONSTRAINTS);`,
  );
  return Number(await psql.run(db, `SELECT count(*) FROM pg_indexes WHERE tablename = '${INDEXED}'`));
}

export interface CopyStage {
  table: string;
  rows: number;
  rowsPerSecond: number;
  phase: PhaseStats;
}

/** psql \copy of a stage's rows (every account's file, in one session) into one of the tables. */
export async function copyStage(
  psql: Psql,
  db: string,
  table: string,
  files: StageFile[],
  rows: number,
  workDir: string,
): Promise<CopyStage> {
  const columns = ["account_id", ...COPY_COLUMNS].join(", ");
  const script = join(workDir, `copy-${table}-stage${files[0]?.stage ?? 0}.sql`);
  await writeFile(
    script,
    files.map((file) => `\\copy ${table} (${columns}) FROM '${file.copy}' WITH (FORMAT csv)\n`).join(""),
  );
  await psql.run(db, "CHECKPOINT");
  const copied = await phase(`COPY stage ${files[0]?.stage ?? 0} into ${table}`, null, () => psql.runFile(db, script), {
    psql,
    db,
  });
  return { table, rows, rowsPerSecond: Math.round(rows / copied.stats.seconds), phase: copied.stats };
}

const sumOf = <T>(items: T[], value: (item: T) => number) => items.reduce((sum, item) => sum + value(item), 0);

export interface ImportFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** Every import's counts as generated, and the stored rows the same as COPY's. */
  countsAsExpected: boolean;
  copyIndexed: { rows: number; seconds: number; rowsPerSecond: number } | null;
  copyPlain: { rows: number; seconds: number; rowsPerSecond: number } | null;
  ratio: number | null;
  met: boolean | null;
}

export function importFigures(
  stages: StageImport[],
  indexed: CopyStage[],
  plain: CopyStage[],
  sameRows: boolean | null,
): ImportFigures {
  const rows = sumOf(stages, (s) => s.rows);
  const seconds = sumOf(stages, (s) => s.seconds);
  const rate = rows / seconds;
  const total = (copies: CopyStage[]) => {
    if (copies.length === 0) return null;
    const copied = sumOf(copies, (c) => c.rows);
    const time = sumOf(copies, (c) => c.phase.seconds);
    return { rows: copied, seconds: round(time, 2), rowsPerSecond: Math.round(copied / time) };
  };
  const copyIndexed = total(indexed);
  const peakRssMb = Math.max(...stages.map((s) => s.phase.serverPeakRssMb ?? 0));
  const countsAsExpected = stages.every((s) => s.countsAsExpected && !s.timedOut) && sameRows !== false;
  const ratio = copyIndexed ? round(rate / copyIndexed.rowsPerSecond, 3) : null;
  return {
    rows,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(rate),
    peakRssMb,
    countsAsExpected,
    copyIndexed,
    copyPlain: total(plain),
    ratio,
    met: ratio === null ? null : ratio >= IMPORT_GOAL && peakRssMb < IMPORT_RSS_MB && countsAsExpected,
  };
}

export function importRows(figures: ImportFigures, scenario: string): Row[] {
  const rows: Row[] = [
    {
      scenario,
      measure: `import of ${fmt(figures.rows)} rows (POST /v1/imports, all stages), peak RSS`,
      contactd: `${fmt(figures.rowsPerSecond)} rows/s, ${figures.peakRssMb} MB`,
      baseline: figures.copyIndexed ? `${fmt(figures.copyIndexed.rowsPerSecond)} rows/s indexed COPY` : "—",
      ratio: figures.ratio,
      goal: `≥ ${IMPORT_GOAL}×, < ${IMPORT_RSS_MB} MB`,
      met: figures.met,
    },
  ];
  if (figures.copyPlain) {
    rows.push({
      scenario,
      measure: "COPY into contacts without indexes, beside it",
      contactd: `${fmt(figures.rowsPerSecond)} rows/s`,
      baseline: `${fmt(figures.copyPlain.rowsPerSecond)} rows/s unindexed COPY`,
      ratio: round(figures.rowsPerSecond / figures.copyPlain.rowsPerSecond, 3),
      goal: "—",
      met: null,
    });
  }
  return rows;
}

export interface ExportFigures {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  firstByteSeconds: number;
  peakRssMb: number;
  rowsMatch: boolean;
  phase: PhaseStats;
  copyOut: { rows: number; bytes: number; seconds: number; rowsPerSecond: number; phase: PhaseStats };
  ratio: number;
  met: boolean;
}

export function exportRows(figures: ExportFigures, scenario: string): Row[] {
  return [
    {
      scenario,
      measure: `export of the large account, ${fmt(figures.rows)} rows (GET /v1/contacts/export.csv), peak RSS`,
      contactd: `${fmt(figures.rowsPerSecond)} rows/s, ${figures.peakRssMb} MB`,
      baseline: `${fmt(figures.copyOut.rowsPerSecond)} rows/s COPY TO`,
      ratio: figures.ratio,
      goal: `≥ ${EXPORT_GOAL}×, < ${EXPORT_RSS_MB} MB`,
      met: figures.met,
    },
  ];
}
