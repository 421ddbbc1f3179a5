/**
 * Soak: the built server under a steady mixed load for a long time, reporting per window the
 * requests, errors, non-2xx answers, latency percentiles and the server's memory, so that leaks,
 * slow-downs and rare failures show as trends. Not part of `npm test`.
 *
 *   npm run soak -- [--minutes 10] [--window 60] [--rows 20000] [--connections 16] [--pglite]
 *     [--pg postgres://…] [--keep-db]
 *
 * 1. Creates a throwaway database contactd_soak_<timestamp> (or PGlite in a temporary directory
 *    with --pglite), starts the built server on it, and loads --rows generated contacts through
 *    POST /v1/imports.
 * 2. Runs the load (bench/load.ts, its own process) in back-to-back windows for --minutes: gets,
 *    lists, searches, creates, updates, label changes and comments, from one credential.
 * 3. Prints a line per window and writes bench/results/soak-latest.json. Exits 1 when any request
 *    failed or got a 5xx answer.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generate } from "./generate-csv.js";
import { runImport } from "./lib/imports.js";
import { gitState, loadAverage, machineInfo, procStatus } from "./lib/machine.js";
import { Psql } from "./lib/psql.js";
import { basicAuth, ensureBuilt, type Server, startServer, stopServer } from "./lib/server.js";
import { table } from "./lib/table.js";
import { fmt, log, mb, ROOT, round, timestamp } from "./lib/util.js";
import { gets, loadWindow, stopLoadGenerator } from "./lib/windows.js";
import type { LoadResult, RequestKind } from "./load.js";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    window: { type: "string", default: "60" },
    rows: { type: "string", default: "20000" },
    connections: { type: "string", default: "16" },
    pglite: { type: "boolean", default: false },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432" },
    "keep-db": { type: "boolean", default: false },
  },
});
const MINUTES = Number(args.minutes);
const WINDOW_S = Number(args.window);
const ROWS = Number(args.rows);
const CONNECTIONS = Number(args.connections);
const ADMIN = { key: "ck_soak_admin", secret: "soak-secret-0123456789" };
const AUTH = basicAuth(ADMIN);

interface WindowReport {
  window: number;
  endedAtMinute: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  serverErrors: number;
  non2xx: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMb: number;
  errorSamples: string[];
}

async function json(base: string, path: string): Promise<any> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: AUTH } });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.json();
}

/** The mix: half reads, a sixth searches, a third writes, each write on its own contact or a new one. */
function requestsFor(ids: string[], terms: string[]): RequestKind[] {
  const contactPaths = ids.map((id) => `/v1/contacts/${id}`);
  return [
    gets("get", contactPaths, 30),
    gets("list", ["/v1/contacts?limit=50", "/v1/contacts?limit=50&sort=name"], 10),
    gets(
      "history",
      ids.map((id) => `/v1/contacts/${id}/activities`),
      10,
    ),
    gets(
      "search",
      terms.map((term) => `/v1/contacts/search?q=${encodeURIComponent(term)}&limit=15`),
      15,
    ),
    {
      label: "create",
      weight: 12,
      method: "POST",
      paths: ["/v1/contacts"],
      body: JSON.stringify({ name: "Soak {{n}}", email: "soak-{{run}}-{{n}}@soak.example", labels: ["soak"] }),
    },
    {
      label: "update",
      weight: 12,
      method: "PATCH",
      paths: contactPaths,
      body: JSON.stringify({ custom_attributes: { touched: "{{run}}-{{n}}" } }),
    },
    {
      label: "label",
      weight: 6,
      method: "POST",
      paths: ids.map((id) => `/v1/contacts/${id}/labels`),
      body: JSON.stringify({ labels: ["soaked"] }),
    },
    {
      label: "comment",
      weight: 5,
      method: "POST",
      paths: ids.map((id) => `/v1/contacts/${id}/comments`),
      body: JSON.stringify({ text: "Soak note {{n}}" }),
    },
  ];
}

function report(index: number, started: number, result: LoadResult, server: Server): WindowReport {
  const serverErrors = Object.entries(result.statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    window: index,
    endedAtMinute: round((performance.now() - started) / 60_000, 1),
    requests: result.requests,
    requestsPerSecond: Math.round(result.requestsPerSecond),
    errors: result.errors,
    serverErrors,
    non2xx: result.non2xx,
    statuses: result.statuses,
    p50Ms: round(result.latencyMs.p50),
    p99Ms: round(result.latencyMs.p99),
    maxMs: round(result.latencyMs.max),
    rssMb: mb(procStatus(server.pid, "VmRSS")),
    errorSamples: result.errorSamples,
  };
}

async function main(): Promise<number> {
  const workDir = await mkdtemp(join(os.tmpdir(), "contactd-soak-"));
  const pg = new Psql(new URL(args.pg));
  const dbName = `contactd_soak_${timestamp()}`;
  let server: Server | null = null;
  let created = false;
  try {
    const main = ensureBuilt();
    if (!args.pglite) {
      await pg.run("postgres", `CREATE DATABASE ${dbName}`);
      created = true;
    }
    server = await startServer({
      main,
      workDir,
      databaseUrl: args.pglite ? undefined : pg.database(dbName),
      dataDir: join(workDir, "data"),
      admin: ADMIN,
      logLevel: "warn",
    });
    const csv = join(workDir, "soak.csv");
    await generate({ rows: ROWS, out: csv, seed: 7 });
    const loaded = await runImport(server.base, AUTH, csv, 30 * 60_000);
    log(`loaded ${fmt(loaded.job.created)} contacts in ${round(loaded.seconds, 1)} s`);
    const page = await json(server.base, "/v1/contacts?limit=200");
    const ids: string[] = page.data.map((contact: { id: string }) => contact.id);
    const terms = page.data.slice(0, 20).map((contact: { name: string }) => contact.name.slice(0, 4));

    const windows: WindowReport[] = [];
    const started = performance.now();
    const startRss = mb(procStatus(server.pid, "VmRSS"));
    const count = Math.max(1, Math.round((MINUTES * 60) / WINDOW_S));
    for (let index = 1; index <= count; index++) {
      const result = await loadWindow({
        origin: server.base,
        connections: CONNECTIONS,
        warmupSeconds: 0,
        seconds: WINDOW_S,
        headers: { authorization: AUTH },
        requests: requestsFor(ids, terms),
        seed: index,
        timeoutSeconds: 30,
      });
      const line = report(index, started, result, server);
      windows.push(line);
      log(
        `window ${index}/${count}: ${fmt(line.requests)} requests (${line.requestsPerSecond}/s), ` +
          `${line.errors} errors, ${line.serverErrors} 5xx, ${line.non2xx} non-2xx, p50 ${line.p50Ms} ms, ` +
          `p99 ${line.p99Ms} ms, RSS ${line.rssMb} MB`,
      );
    }
    const totals = {
      minutes: round((performance.now() - started) / 60_000, 1),
      requests: windows.reduce((sum, w) => sum + w.requests, 0),
      errors: windows.reduce((sum, w) => sum + w.errors, 0),
      serverErrors: windows.reduce((sum, w) => sum + w.serverErrors, 0),
      non2xx: windows.reduce((sum, w) => sum + w.non2xx, 0),
      rssStartMb: startRss,
      rssEndMb: mb(procStatus(server.pid, "VmRSS")),
      peakRssMb: mb(procStatus(server.pid, "VmHWM")),
      worstP99Ms: Math.max(...windows.map((w) => w.p99Ms)),
    };
    process.stdout.write(
      `\n${table(
        [
          ["window", "minute", "requests", "req/s", "errors", "5xx", "non-2xx", "p50 ms", "p99 ms", "RSS MB"],
          ...windows.map((w) => [
            String(w.window),
            String(w.endedAtMinute),
            fmt(w.requests),
            fmt(w.requestsPerSecond),
            String(w.errors),
            String(w.serverErrors),
            String(w.non2xx),
            String(w.p50Ms),
            String(w.p99Ms),
            String(w.rssMb),
          ]),
        ],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
      )}\n\n`,
    );
    log(
      `${fmt(totals.requests)} requests in ${totals.minutes} min: ${totals.errors} errors, ` +
        `${totals.serverErrors} 5xx, ${totals.non2xx} non-2xx; RSS ${totals.rssStartMb} → ${totals.rssEndMb} MB ` +
        `(peak ${totals.peakRssMb} MB)`,
    );
    const results = {
      date: new Date().toISOString(),
      git: gitState(),
      machine: machineInfo(),
      loadAverage: loadAverage(),
      settings: { minutes: MINUTES, windowSeconds: WINDOW_S, rows: ROWS, connections: CONNECTIONS },
      backend: args.pglite ? "pglite" : "postgres",
      totals,
      windows,
    };
    await writeFile(join(ROOT, "bench", "results", "soak-latest.json"), `${JSON.stringify(results, null, 2)}\n`);
    return totals.errors + totals.serverErrors === 0 ? 0 : 1;
  } finally {
    stopLoadGenerator();
    if (server) await stopServer(server).catch(() => {});
    if (created && !args["keep-db"]) await pg.run("postgres", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await rm(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
