import type { GenerateSummary } from "../generate-csv.js";
import type { StageFile } from "./dataset.js";
import { getImport, type ImportObject, importDone, POLL_MS, postImport } from "./imports.js";
import { type PhaseStats, phase, type Watched } from "./phase.js";
import type { Psql } from "./psql.js";
import { log, round, sleep } from "./util.js";

export interface StageImport {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  timedOut: boolean;
  counts: { created: number; updated: number; skipped: number; failed: number };
  /** Every import's counts equal what the generator made. */
  countsAsExpected: boolean;
  imports: Array<{
    account: number;
    rows: number;
    status: ImportObject["status"] | "timed out";
    error: ImportObject["error"];
    counts: { created: number; updated: number; skipped: number; failed: number };
    expected: GenerateSummary["expected"];
  }>;
  phase: PhaseStats;
}

/**
 * A stage's imports through the API: every file is posted (each with its account's credential),
 * then the imports are awaited in the order the server runs them. The time runs from the first
 * upload to the end of the last import.
 */
export async function importStage(options: {
  name: string;
  base: string;
  files: StageFile[];
  summaries: GenerateSummary[];
  auth: (account: number) => string;
  server: Watched;
  wal: { psql: Psql; db: string } | null;
  maxMs: number;
}): Promise<StageImport> {
  const { files, summaries, base, auth } = options;
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  const { result, stats } = await phase(
    options.name,
    options.server,
    async () => {
      const started = performance.now();
      const jobs: ImportObject[] = [];
      for (const file of files) jobs.push(await postImport(base, auth(file.account), file.csv));
      let lastLog = performance.now();
      for (let i = 0; i < jobs.length; i++) {
        const account = (files[i] as StageFile).account;
        const poll = async () => {
          jobs[i] = await getImport(base, auth(account), (jobs[i] as ImportObject).id);
        };
        // At once, not after a pause: it may have finished while the ones before it ran.
        await poll();
        while (!importDone(jobs[i] as ImportObject)) {
          if (performance.now() - started > options.maxMs) return { jobs, timedOut: true };
          await sleep(POLL_MS);
          await poll();
          if (performance.now() - lastLog > 10_000) {
            lastLog = performance.now();
            log(`${options.name}: import ${i + 1} of ${jobs.length}, ${(jobs[i] as ImportObject).processed_rows} rows`);
          }
        }
      }
      return { jobs, timedOut: false };
    },
    options.wal,
  );
  const imports = files.map((file, i) => {
    const job = result.jobs[i] as ImportObject;
    return {
      account: file.account,
      rows: file.rows,
      status: importDone(job) ? job.status : ("timed out" as const),
      error: job.error,
      counts: { created: job.created, updated: job.updated, skipped: job.skipped, failed: job.failed },
      expected: (summaries[i] as GenerateSummary).expected,
    };
  });
  const sum = (key: "created" | "updated" | "skipped" | "failed") =>
    imports.reduce((total, entry) => total + entry.counts[key], 0);
  const countsAsExpected = imports.every(
    (entry) =>
      entry.status === "succeeded" &&
      entry.counts.created === entry.expected.created &&
      entry.counts.updated === entry.expected.updated &&
      entry.counts.skipped === entry.expected.skipped &&
      entry.counts.failed === entry.expected.failed,
  );
  return {
    rows,
    seconds: stats.seconds,
    rowsPerSecond: Math.round(rows / stats.seconds),
    timedOut: result.timedOut,
    counts: { created: sum("created"), updated: sum("updated"), skipped: sum("skipped"), failed: sum("failed") },
    countsAsExpected,
    imports,
    phase: { ...stats, seconds: round(stats.seconds, 3) },
  };
}
