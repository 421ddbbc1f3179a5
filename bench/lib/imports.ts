import { openAsBlob } from "node:fs";
import { log, round, sleep } from "./util.js";

/** An import as GET /v1/imports/:id answers it. */
export interface ImportObject {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed";
  total_rows: number;
  processed_rows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error: { code: string; message: string } | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface ImportRun {
  uploadSeconds: number;
  /** From the upload's start until the worker had read the file through (total_rows known). */
  scannedAtSeconds: number | null;
  seconds: number;
  timedOut: boolean;
  job: ImportObject;
  /** processed_rows over time, about every 5 s. */
  progress: Array<{ s: number; rows: number }>;
}

/** POST /v1/imports with the file streamed from disk; answers the queued job. */
export async function postImport(base: string, auth: string, file: string): Promise<ImportObject> {
  const form = new FormData();
  form.append("file", await openAsBlob(file, { type: "text/csv" }), "contacts.csv");
  const response = await fetch(`${base}/v1/imports`, { method: "POST", headers: { authorization: auth }, body: form });
  if (response.status !== 202) throw new Error(`POST /v1/imports: ${response.status} ${await response.text()}`);
  return (await response.json()) as ImportObject;
}

export async function getImport(base: string, auth: string, id: string): Promise<ImportObject> {
  const poll = await fetch(`${base}/v1/imports/${id}`, { headers: { authorization: auth } });
  if (!poll.ok) throw new Error(`GET /v1/imports/${id}: ${poll.status} ${await poll.text()}`);
  return (await poll.json()) as ImportObject;
}

export const importDone = (job: ImportObject) => job.status === "succeeded" || job.status === "failed";

/**
 * How often an import is polled: its end is seen at most this late. Each poll is a request the
 * server serves beside the import, so not much more often.
 */
export const POLL_MS = 100;

/**
 * Uploads a file and polls its import every POLL_MS until it is done, or until `maxMs` has passed
 * (then it is left running and reported as timed out).
 */
export async function runImport(base: string, auth: string, file: string, maxMs: number): Promise<ImportRun> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let job = await postImport(base, auth, file);
  const uploadSeconds = elapsed();
  let scannedAtSeconds: number | null = null;
  const progress: ImportRun["progress"] = [];
  let lastSample = -Infinity;
  for (;;) {
    if (importDone(job)) break;
    if (elapsed() * 1000 > maxMs) {
      return { uploadSeconds, scannedAtSeconds, seconds: elapsed(), timedOut: true, job, progress };
    }
    await sleep(POLL_MS);
    job = await getImport(base, auth, job.id);
    if (scannedAtSeconds === null && job.total_rows > 0) scannedAtSeconds = elapsed();
    if (elapsed() - lastSample >= 5) {
      lastSample = elapsed();
      progress.push({ s: round(lastSample, 1), rows: job.processed_rows });
      log(`import: ${job.processed_rows}/${job.total_rows || "?"} rows after ${Math.round(lastSample)} s`);
    }
  }
  const seconds = elapsed();
  progress.push({ s: round(seconds, 1), rows: job.processed_rows });
  return { uploadSeconds, scannedAtSeconds, seconds, timedOut: false, job, progress };
}

/**
 * Where an import stopped early would have finished: at its average rate so far, and from a fit of
 * elapsed time = c + a·rows + b·rows² to its progress (per-row cost growing with the rows written).
 */
export function project(run: ImportRun, rows: number): { linearSeconds: number; quadraticSeconds: number | null } {
  const points = run.progress.filter((p) => p.rows > 0);
  const last = points.at(-1);
  const linearSeconds = last ? Math.round((run.seconds * rows) / last.rows) : Number.NaN;
  if (points.length < 4) return { linearSeconds, quadraticSeconds: null };
  // Normal equations of the least-squares fit, rows in millions to keep the sums well scaled.
  const m = [0, 1, 2].map(() => [0, 0, 0, 0]);
  for (const p of points) {
    const n = p.rows / 1e6;
    const basis = [1, n, n * n];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) m[i]![j]! += basis[i]! * basis[j]!;
      m[i]![3]! += basis[i]! * p.s;
    }
  }
  const fit = solve(m);
  if (!fit) return { linearSeconds, quadraticSeconds: null };
  const n = rows / 1e6;
  return { linearSeconds, quadraticSeconds: Math.round(fit[0]! + fit[1]! * n + fit[2]! * n * n) };
}

/** Gauss-Jordan elimination of an augmented n×(n+1) matrix; null when it is singular. */
function solve(a: number[][]): number[] | null {
  const size = a.length;
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let row = col + 1; row < size; row++) if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-12) return null;
    for (let row = 0; row < size; row++) {
      if (row === col) continue;
      const factor = a[row]![col]! / p;
      for (let k = col; k <= size; k++) a[row]![k]! -= factor * a[col]![k]!;
    }
  }
  return a.map((row, i) => row[size]! / row[i]!);
}

/**
 * ANALYZE of the tables an import writes every `seconds`, as autovacuum would run it on a server
 * where it is on; returns a function that stops it and answers how many ran.
 */
export function analyzeEvery(seconds: number | null, analyze: () => Promise<unknown>): () => number {
  let runs = 0;
  if (seconds === null) return () => runs;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void analyze()
      .then(() => runs++)
      .catch((error) => log(`analyze: ${error}`))
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  return () => {
    clearInterval(timer);
    return runs;
  };
}

/** The tables an import writes, which autovacuum would analyze as they grow. */
export const ANALYZED_TABLES = "contacts, import_keys, contact_labels, activities, events";
