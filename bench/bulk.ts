/**
 * Bulk import and export, end to end through the HTTP API, against raw COPY baselines measured in
 * the same run on the same database.
 *
 *   npm run bench:bulk -- [--rows N | --quick] [--keep-db] [--keep-files] [--seed N]
 *     [--server path/to/main.js] [--max-import-minutes N] [--analyze-every S] [--pg postgres://…]
 *
 * 1. Generates the CSV (bench/generate-csv.ts) and, from the same generator, the rows the import
 *    creates mapped to contacts columns, for COPY.
 * 2. Creates a throwaway database contactd_bench_<timestamp> (dropped at the end, even on failure,
 *    unless --keep-db) and starts the built server on it as a child process (building it first
 *    when dist is older than the sources).
 * 3. COPY baselines: psql \copy of the mapped rows into a copy of contacts with all its indexes
 *    (LIKE contacts INCLUDING ALL) and into one without indexes.
 * 4. Import: POST /v1/imports with the file streamed, then polls GET /v1/imports/:id until it is
 *    done; checks that the counts add up to the rows and match what the generator made, and that
 *    the stored contacts equal the COPY baseline's. An import still running after
 *    --max-import-minutes is abandoned and its finishing time projected from its progress.
 *    --analyze-every S runs ANALYZE on the tables the import writes every S seconds, as
 *    autovacuum would, for servers where autovacuum is off.
 * 5. Export: GET /v1/contacts/export.csv streamed and counted, on a freshly started server so its
 *    memory is the export's own, then COPY (SELECT the same columns) TO STDOUT via psql as the
 *    baseline.
 *
 * The server's RSS is sampled every 250 ms (VmRSS) and its lifetime peak read from VmHWM; each
 * phase also records the server's CPU time, the whole machine's busy share and the WAL written.
 * Results go to bench/results/bulk-latest.json.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, openAsBlob, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { COPY_COLUMNS, type GenerateSummary, generate } from "./generate-csv.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = join(ROOT, "bench", "results", "bulk-latest.json");

const GOALS = {
  importVsIndexedCopy: 0.5,
  importPeakRssMb: 300,
  exportVsCopyOut: 0.6,
  exportPeakRssMb: 150,
};

// ---- Options ----------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    rows: { type: "string" },
    quick: { type: "boolean", default: false },
    "keep-db": { type: "boolean", default: false },
    "keep-files": { type: "boolean", default: false },
    seed: { type: "string" },
    server: { type: "string" },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432" },
    "work-dir": { type: "string", default: os.tmpdir() },
    "max-import-minutes": { type: "string", default: "60" },
    "analyze-every": { type: "string" },
    "log-level": { type: "string", default: "warn" },
  },
});
const ROWS = args.rows ? Number(args.rows) : args.quick ? 100_000 : 1_000_000;
const SEED = args.seed ? Number(args.seed) : 20261122;
const MAX_IMPORT_MS = Number(args["max-import-minutes"]) * 60_000;
/** Seconds between ANALYZEs of the tables an import writes, as autovacuum would run them; off by default. */
const ANALYZE_EVERY_S = args["analyze-every"] ? Number(args["analyze-every"]) : null;
const ANALYZED_TABLES = "contacts, import_keys, contact_labels, activities, events";
const PG = new URL(args.pg);
const ADMIN = { key: "ck_bench_admin", secret: "bench-secret-0123456789" };
const AUTH = `Basic ${Buffer.from(`${ADMIN.key}:${ADMIN.secret}`).toString("base64")}`;

// ---- Small helpers ----------------------------------------------------------------------------

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

function psqlArgs(db: string): string[] {
  return [
    "-X",
    "-q",
    "-At",
    "-v",
    "ON_ERROR_STOP=1",
    "-h",
    PG.hostname,
    "-p",
    PG.port || "5432",
    "-U",
    PG.username || "postgres",
    "-d",
    db,
  ];
}
const psqlEnv = { ...process.env, ...(PG.password ? { PGPASSWORD: decodeURIComponent(PG.password) } : {}) };

/** Runs SQL (or a psql meta-command) and returns its unaligned output. */
async function psql(db: string, command: string): Promise<string> {
  const child = spawn("psql", [...psqlArgs(db), "-c", command], { env: psqlEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    out += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    err += text;
  });
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}\n  for: ${command.slice(0, 300)}`);
  return out.trim();
}

/** Streams a query's COPY output to nowhere, counting bytes and lines as the HTTP export does. */
async function psqlCopyOut(db: string, command: string): Promise<{ bytes: number; lines: number }> {
  const child = spawn("psql", [...psqlArgs(db), "-c", command], { env: psqlEnv, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    err += text;
  });
  const counted = countLines(child.stdout);
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}`);
  return counted;
}

async function countLines(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buffer.length;
    for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
  }
  return { bytes, lines };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

// ---- Process and machine sampling -------------------------------------------------------------

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used. */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine, all CPUs. */
function machineCpu(): { busy: number; total: number } {
  const [, ...numbers] = (readFileSync("/proc/stat", "utf8").split("\n")[0] as string).trim().split(/\s+/);
  const v = numbers.map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

class RssSampler {
  private timer: NodeJS.Timeout;
  private phasePeak = 0;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 250);
  }
  private sample(): number {
    const rss = procStatus(this.pid, "VmRSS");
    if (rss > this.phasePeak) this.phasePeak = rss;
    return rss;
  }
  /** Starts a new phase; returns the RSS now. */
  reset(): number {
    this.phasePeak = 0;
    return this.sample();
  }
  peak(): number {
    this.sample();
    return this.phasePeak;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

interface PhaseStats {
  seconds: number;
  serverCpuSeconds: number | null;
  /** Busy share of all the machine's CPUs during the phase (every process, not only ours). */
  machineBusyPct: number;
  serverRssStartMb: number | null;
  serverPeakRssMb: number | null;
  walMb: number | null;
}

/** Times `work` and records what the machine and the server did meanwhile. */
async function phase<T>(
  name: string,
  db: string,
  server: { pid: number; rss: RssSampler } | null,
  work: () => Promise<T>,
): Promise<{ result: T; stats: PhaseStats }> {
  log(`${name}…`);
  const walStart = await psql(db, "SELECT pg_current_wal_lsn()");
  const rssStart = server?.rss.reset() ?? null;
  const cpuStart = server ? processCpu(server.pid) : 0;
  const machineStart = machineCpu();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const machineEnd = machineCpu();
  const wal = Number(await psql(db, `SELECT pg_current_wal_lsn() - '${walStart}'::pg_lsn`));
  const stats: PhaseStats = {
    seconds: round(seconds, 3),
    serverCpuSeconds: server ? round(processCpu(server.pid) - cpuStart) : null,
    machineBusyPct: round(
      (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total),
      1,
    ),
    serverRssStartMb: rssStart === null ? null : mb(rssStart),
    serverPeakRssMb: server ? mb(server.rss.peak()) : null,
    walMb: mb(wal),
  };
  log(`${name}: ${stats.seconds} s`);
  return { result, stats };
}

// ---- Build and server -------------------------------------------------------------------------

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), 0);
}

/** Builds the server when its dist is missing or older than its sources. */
function ensureBuilt(): string {
  const main = join(ROOT, "packages/server/dist/main.js");
  const sources = Math.max(
    newestMtime(join(ROOT, "packages/server/src")),
    newestMtime(join(ROOT, "packages/server/migrations")),
  );
  // tsc -b rewrites only the files that changed, so compare with the newest file of dist.
  if (!existsSync(main) || newestMtime(join(ROOT, "packages/server/dist")) < sources) {
    log("building the server (npm run build)…");
    execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  }
  return main;
}

interface Server {
  child: ChildProcess;
  pid: number;
  base: string;
  logFile: string;
}

async function startServer(main: string, databaseUrl: string, workDir: string): Promise<Server> {
  const port = await freePort();
  const logFile = join(workDir, "server.log");
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [main], {
    cwd: workDir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: String(port),
      CONTACTD_ADMIN_KEY: ADMIN.key,
      CONTACTD_ADMIN_SECRET: ADMIN.secret,
      CONTACTD_LOG_LEVEL: args["log-level"],
      CONTACTD_DATA_DIR: join(workDir, "data"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  if (child.pid === undefined) throw new Error("the server did not start");
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}); see ${logFile}`);
    try {
      const response = await fetch(`${base}/v1/contacts?limit=1`, { headers: { authorization: AUTH } });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer within 120 s; see ${logFile}`);
    await sleep(200);
  }
  return { child, pid: child.pid, base, logFile };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

// ---- Import -----------------------------------------------------------------------------------

interface ImportObject {
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

interface ImportRun {
  uploadSeconds: number;
  /** From the upload's start until the worker had read the file through (total_rows known). */
  scannedAtSeconds: number | null;
  seconds: number;
  timedOut: boolean;
  job: ImportObject;
  /** processed_rows over time, about every 5 s. */
  progress: Array<{ s: number; rows: number }>;
}

async function runImport(server: Server, file: string): Promise<ImportRun> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const form = new FormData();
  form.append("file", await openAsBlob(file, { type: "text/csv" }), "contacts.csv");
  const response = await fetch(`${server.base}/v1/imports`, {
    method: "POST",
    headers: { authorization: AUTH },
    body: form,
  });
  if (response.status !== 202) throw new Error(`POST /v1/imports: ${response.status} ${await response.text()}`);
  let job = (await response.json()) as ImportObject;
  const uploadSeconds = elapsed();
  let scannedAtSeconds: number | null = null;
  const progress: ImportRun["progress"] = [];
  let lastSample = -Infinity;
  for (;;) {
    if (job.status === "succeeded" || job.status === "failed") break;
    if (elapsed() * 1000 > MAX_IMPORT_MS) {
      return { uploadSeconds, scannedAtSeconds, seconds: elapsed(), timedOut: true, job, progress };
    }
    await sleep(250);
    const poll = await fetch(`${server.base}/v1/imports/${job.id}`, { headers: { authorization: AUTH } });
    if (!poll.ok) throw new Error(`GET /v1/imports/${job.id}: ${poll.status} ${await poll.text()}`);
    job = (await poll.json()) as ImportObject;
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
function project(run: ImportRun, rows: number): { linearSeconds: number; quadraticSeconds: number | null } {
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

// ---- Export -----------------------------------------------------------------------------------

async function runExport(server: Server): Promise<{ bytes: number; lines: number; firstByteSeconds: number }> {
  const started = performance.now();
  const response = await fetch(`${server.base}/v1/contacts/export.csv`, { headers: { authorization: AUTH } });
  if (!response.ok || !response.body) throw new Error(`GET /v1/contacts/export.csv: ${response.status}`);
  const firstByteSeconds = (performance.now() - started) / 1000;
  const counted = await countLines(response.body as unknown as AsyncIterable<Uint8Array>);
  return { ...counted, firstByteSeconds: round(firstByteSeconds, 3) };
}

/** The export's default columns, formatted as it formats them, straight from COPY. */
function exportBaselineSql(accountId: number): string {
  const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return `COPY (SELECT c.id, c.name, c.email, c.phone_e164 AS phone_number, c.identifier,
      nullif(array_to_string(ARRAY(SELECT l.name FROM contact_labels cl
        JOIN labels l ON l.account_id = cl.account_id AND l.id = cl.label_id
        WHERE cl.account_id = c.account_id AND cl.contact_id = c.id ORDER BY l.name), ','), '') AS labels,
      ${iso("c.created_at")} AS created_at, ${iso("c.updated_at")} AS updated_at,
      ${iso("c.last_activity_at")} AS last_activity_at, CASE WHEN c.blocked THEN 'true' ELSE 'false' END AS blocked
    FROM contacts c WHERE c.account_id = ${accountId} ORDER BY c.id) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

// ---- Report -----------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [
    line(rows[0] as string[]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--", "packages"], { cwd: ROOT, encoding: "utf8" });
    return { commit, dirty: status.trim() !== "" };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

// ---- Run --------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:T.Z]/g, "")
    .slice(0, 14);
  const dbName = `contactd_bench_${stamp}`;
  const workDir = await mkdtemp(join(args["work-dir"], "contactd-bench-"));
  const databaseUrl = new URL(args.pg);
  databaseUrl.pathname = `/${dbName}`;
  let server: Server | null = null;
  let rss: RssSampler | null = null;
  let dbCreated = false;
  let cleaning: Promise<void> | null = null;
  const cleanup = () => {
    cleaning ??= (async () => {
      rss?.stop();
      if (server) await stopServer(server).catch((error) => log(`stopping the server: ${error}`));
      if (dbCreated && !args["keep-db"]) {
        await psql("postgres", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((error) =>
          log(`dropping ${dbName}: ${error}`),
        );
        log(`dropped ${dbName}`);
      } else if (dbCreated) log(`kept ${dbName}`);
      if (!args["keep-files"]) await rm(workDir, { recursive: true, force: true });
      else log(`kept ${workDir}`);
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const results: Record<string, unknown> = { date: new Date().toISOString(), rows: ROWS, seed: SEED };
  try {
    const main = args.server ? resolve(args.server) : ensureBuilt();
    const loadStart = os.loadavg();

    // Data
    const csvFile = join(workDir, `contacts-${ROWS}.csv`);
    const copyFile = join(workDir, `contacts-${ROWS}.copy.csv`);
    log(`generating ${ROWS} rows in ${workDir}…`);
    const data: GenerateSummary = await generate({ rows: ROWS, out: csvFile, copyOut: copyFile, seed: SEED });
    log(`generated ${mb(data.bytes)} MB in ${round(data.seconds, 1)} s`);
    results.dataset = {
      rows: data.rows,
      csvBytes: data.bytes,
      csvMb: mb(data.bytes),
      invalidRows: data.invalidRows,
      duplicateRows: data.duplicateRows,
      copyRows: data.copyRows,
      copyBytes: data.copyBytes,
      generateSeconds: round(data.seconds, 2),
    };

    // Database and server
    await psql("postgres", `CREATE DATABASE ${dbName}`);
    dbCreated = true;
    log(`created ${dbName}`);
    server = await startServer(main, databaseUrl.href, workDir);
    rss = new RssSampler(server.pid);
    const serverInfo = { pid: server.pid, rss };
    const accountId = Number(await psql(dbName, "SELECT id FROM accounts ORDER BY id LIMIT 1"));
    const pgVersion = await psql(dbName, "SHOW server_version");
    const pgSettings = Object.fromEntries(
      (
        await psql(
          dbName,
          "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'synchronous_commit', 'fsync', 'wal_level', 'work_mem', 'maintenance_work_mem', 'checkpoint_timeout', 'autovacuum', 'autovacuum_naptime') ORDER BY name",
        )
      )
        .split("\n")
        .map((line) => line.split("|") as [string, string]),
    );

    results.machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memoryGb: round(os.totalmem() / 1024 ** 3, 1),
      node: process.version,
      postgres: pgVersion,
      postgresSettings: pgSettings,
      loadAverageStart: loadStart.map((l) => round(l)),
      // Other work may share the machine: the load average and each phase's machineBusyPct show it.
      shared: true,
    };
    results.git = gitState();

    // COPY baselines: the rows the import creates, into contacts-shaped tables.
    const columns = COPY_COLUMNS.join(", ");
    await psql(
      dbName,
      `CREATE TABLE bench_contacts_indexed (LIKE contacts INCLUDING ALL);
       ALTER TABLE bench_contacts_indexed ALTER COLUMN account_id SET DEFAULT ${accountId};
       CREATE TABLE bench_contacts_plain (LIKE contacts INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING CONSTRAINTS);
       ALTER TABLE bench_contacts_plain ALTER COLUMN account_id SET DEFAULT ${accountId};`,
    );
    const indexes = Number(
      await psql(dbName, "SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_contacts_indexed'"),
    );
    const copyInto = async (tableName: string) => {
      await psql(dbName, "CHECKPOINT");
      return phase(`COPY into ${tableName}`, dbName, null, () =>
        psql(dbName, `\\copy ${tableName} (${columns}) FROM '${copyFile}' WITH (FORMAT csv)`),
      );
    };
    const copyIndexed = await copyInto("bench_contacts_indexed");
    const copyPlain = await copyInto("bench_contacts_plain");
    const copyIndexedRate = data.copyRows / copyIndexed.stats.seconds;
    const copyPlainRate = data.copyRows / copyPlain.stats.seconds;
    results.copyIndexed = {
      table: "bench_contacts_indexed (LIKE contacts INCLUDING ALL)",
      indexes,
      rows: data.copyRows,
      rowsPerSecond: Math.round(copyIndexedRate),
      phase: copyIndexed.stats,
    };
    results.copyPlain = {
      table: "bench_contacts_plain (LIKE contacts INCLUDING DEFAULTS, GENERATED, IDENTITY, CONSTRAINTS; no index)",
      rows: data.copyRows,
      rowsPerSecond: Math.round(copyPlainRate),
      phase: copyPlain.stats,
    };

    // Import
    await psql(dbName, "CHECKPOINT");
    let analyzeRuns = 0;
    let analyzing = false;
    const analyzer =
      ANALYZE_EVERY_S === null
        ? null
        : setInterval(() => {
            if (analyzing) return;
            analyzing = true;
            void psql(dbName, `ANALYZE ${ANALYZED_TABLES}`)
              .then(() => analyzeRuns++)
              .catch((error) => log(`analyze: ${error}`))
              .finally(() => {
                analyzing = false;
              });
          }, ANALYZE_EVERY_S * 1000);
    const imported = await phase("import", dbName, serverInfo, () => runImport(server as Server, csvFile)).finally(
      () => analyzer && clearInterval(analyzer),
    );
    const run = imported.result;
    const job = run.job;
    const counted = job.created + job.updated + job.skipped + job.failed;
    const failedReasons = Object.fromEntries(
      (
        await psql(
          dbName,
          `SELECT result || ':' || reason, count(*) FROM import_rows WHERE import_id = ${Number(job.id)} GROUP BY 1 ORDER BY 1`,
        )
      )
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [key, count] = line.split("|") as [string, string];
          return [key, Number(count)];
        }),
    );
    const importRate = run.timedOut ? job.processed_rows / run.seconds : job.total_rows / run.seconds;
    results.import = {
      status: job.status,
      error: job.error,
      timedOut: run.timedOut,
      seconds: round(run.seconds, 2),
      uploadSeconds: round(run.uploadSeconds, 2),
      scannedAtSeconds: run.scannedAtSeconds === null ? null : round(run.scannedAtSeconds, 2),
      serverStartedAt: job.started_at,
      serverFinishedAt: job.finished_at,
      rowsPerSecond: Math.round(importRate),
      projection: run.timedOut ? project(run, ROWS) : null,
      analyzeEverySeconds: ANALYZE_EVERY_S,
      analyzeRuns,
      totalRows: job.total_rows,
      processedRows: job.processed_rows,
      counts: { created: job.created, updated: job.updated, skipped: job.skipped, failed: job.failed },
      expected: data.expected,
      countsAddUp: !run.timedOut && counted === job.total_rows && job.total_rows === ROWS,
      countsAsExpected:
        !run.timedOut &&
        job.created === data.expected.created &&
        job.updated === data.expected.updated &&
        job.skipped === data.expected.skipped &&
        job.failed === data.expected.failed,
      reasons: failedReasons,
      progress: run.progress,
      phase: imported.stats,
    };
    if (run.timedOut) {
      log(`import stopped after ${Math.round(run.seconds)} s at ${job.processed_rows} rows`);
      throw Object.assign(new Error("import timed out"), { partial: true });
    }

    // Events the import wrote are dispatched by the server in the background; let that finish so
    // it does not run during the export.
    const backlog = Number(await psql(dbName, "SELECT count(*) FROM events WHERE dispatched_at IS NULL"));
    const drained = await phase("event dispatch backlog", dbName, serverInfo, async () => {
      for (;;) {
        const left = Number(await psql(dbName, "SELECT count(*) FROM events WHERE dispatched_at IS NULL"));
        if (left === 0) return;
        await sleep(500);
      }
    });

    // Same rows in the table the import wrote and in the COPY baseline?
    const fingerprint = (tableName: string) =>
      psql(
        dbName,
        `SELECT count(*) || ' ' || sum(hashtextextended(concat_ws('|', name, email, phone_e164, phone_raw, identifier,
           additional_attributes::text, custom_attributes::text, search_text), 0)) FROM ${tableName} WHERE account_id = ${accountId}`,
      );
    const [importedPrint, copiedPrint] = [await fingerprint("contacts"), await fingerprint("bench_contacts_indexed")];
    const writes = await psql(
      dbName,
      `SELECT json_build_object(
         'contacts', (SELECT count(*) FROM contacts), 'contact_labels', (SELECT count(*) FROM contact_labels),
         'activities', (SELECT count(*) FROM activities), 'events', (SELECT count(*) FROM events),
         'notifications', (SELECT count(*) FROM notifications),
         'import_rows', (SELECT count(*) FROM import_rows), 'import_keys_left', (SELECT count(*) FROM import_keys),
         'contacts_mb', pg_total_relation_size('contacts') / 1048576,
         'bench_contacts_indexed_mb', pg_total_relation_size('bench_contacts_indexed') / 1048576,
         'activities_mb', pg_total_relation_size('activities') / 1048576,
         'events_mb', pg_total_relation_size('events') / 1048576,
         'contact_labels_mb', pg_total_relation_size('contact_labels') / 1048576)`,
    );

    // Export: vacuumed first, so neither the API nor COPY pays for setting hint bits; on a freshly
    // started server, so its memory is the export's own and not what the import left behind.
    const vacuum = await phase("vacuum analyze", dbName, null, () =>
      psql(dbName, "VACUUM (ANALYZE) contacts, contact_labels, labels"),
    );
    const importServer = {
      rssAfterMb: mb(procStatus(server.pid, "VmRSS")),
      peakRssMbLifetime: mb(procStatus(server.pid, "VmHWM")),
    };
    rss.stop();
    await stopServer(server);
    server = await startServer(main, databaseUrl.href, workDir);
    rss = new RssSampler(server.pid);
    await sleep(2000);
    const exportServer = { pid: server.pid, rss };
    const exported = await phase("export", dbName, exportServer, () => runExport(server as Server));
    const copyOut = await phase("COPY TO STDOUT", dbName, null, () =>
      psqlCopyOut(dbName, exportBaselineSql(accountId)),
    );
    const exportRows = exported.result.lines - 1;
    const copyOutRows = copyOut.result.lines - 1;
    const serverHwm = procStatus(server.pid, "VmHWM");

    // Rates and ratios
    const exportRate = exportRows / exported.stats.seconds;
    const copyOutRate = copyOutRows / copyOut.stats.seconds;
    const ratios = {
      importVsIndexedCopy: round(importRate / copyIndexedRate, 3),
      importVsPlainCopy: round(importRate / copyPlainRate, 3),
      exportVsCopyOut: round(exportRate / copyOutRate, 3),
    };
    const importPeak = imported.stats.serverPeakRssMb ?? 0;
    const exportPeak = exported.stats.serverPeakRssMb ?? 0;
    const goals = {
      import: {
        ratio: ratios.importVsIndexedCopy,
        ratioGoal: GOALS.importVsIndexedCopy,
        peakRssMb: importPeak,
        peakRssGoalMb: GOALS.importPeakRssMb,
        met: ratios.importVsIndexedCopy >= GOALS.importVsIndexedCopy && importPeak < GOALS.importPeakRssMb,
      },
      export: {
        ratio: ratios.exportVsCopyOut,
        ratioGoal: GOALS.exportVsCopyOut,
        peakRssMb: exportPeak,
        peakRssGoalMb: GOALS.exportPeakRssMb,
        met: ratios.exportVsCopyOut >= GOALS.exportVsCopyOut && exportPeak < GOALS.exportPeakRssMb,
      },
    };

    Object.assign(results, {
      eventDispatch: { backlogAtImportEnd: backlog, phase: drained.stats },
      dataCheck: { contacts: importedPrint, copy: copiedPrint, same: importedPrint === copiedPrint },
      writes: JSON.parse(writes),
      vacuumSeconds: vacuum.stats.seconds,
      export: {
        rows: exportRows,
        bytes: exported.result.bytes,
        firstByteSeconds: exported.result.firstByteSeconds,
        rowsPerSecond: Math.round(exportRate),
        rowsMatch: exportRows === job.created,
        phase: exported.stats,
      },
      copyOut: {
        rows: copyOutRows,
        bytes: copyOut.result.bytes,
        rowsPerSecond: Math.round(copyOutRate),
        phase: copyOut.stats,
      },
      server: {
        logLevel: args["log-level"],
        importProcess: importServer,
        exportProcess: { peakRssMbLifetime: mb(serverHwm) },
      },
      clientPeakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      ratios,
      goals,
    });

    const fmt = (n: number) => n.toLocaleString("en-US");
    process.stdout.write(
      `\n${table([
        ["measure", "rows", "seconds", "rows/s", "ratio", "server peak RSS"],
        [
          "import (POST /v1/imports → done)",
          fmt(ROWS),
          String(round(run.seconds, 1)),
          fmt(Math.round(importRate)),
          `${ratios.importVsIndexedCopy} × indexed COPY`,
          `${importPeak} MB`,
        ],
        [
          "COPY FROM, indexed copy of contacts",
          fmt(data.copyRows),
          String(copyIndexed.stats.seconds),
          fmt(Math.round(copyIndexedRate)),
          "1",
          "—",
        ],
        [
          "COPY FROM, unindexed copy",
          fmt(data.copyRows),
          String(copyPlain.stats.seconds),
          fmt(Math.round(copyPlainRate)),
          `${ratios.importVsPlainCopy} (import/this)`,
          "—",
        ],
        [
          "export (GET /v1/contacts/export.csv)",
          fmt(exportRows),
          String(exported.stats.seconds),
          fmt(Math.round(exportRate)),
          `${ratios.exportVsCopyOut} × COPY TO`,
          `${exportPeak} MB`,
        ],
        [
          "COPY (SELECT …) TO STDOUT",
          fmt(copyOutRows),
          String(copyOut.stats.seconds),
          fmt(Math.round(copyOutRate)),
          "1",
          "—",
        ],
      ])}\n\n` +
        `import counts: created ${fmt(job.created)}, updated ${job.updated}, skipped ${fmt(job.skipped)}, failed ${fmt(job.failed)} ` +
        `(add up: ${(results.import as { countsAddUp: boolean }).countsAddUp}, as generated: ${(results.import as { countsAsExpected: boolean }).countsAsExpected}); ` +
        `same data as COPY: ${importedPrint === copiedPrint}\n` +
        `goals: import ${goals.import.met ? "met" : "NOT met"}, export ${goals.export.met ? "met" : "NOT met"}\n`,
    );
    return 0;
  } catch (error) {
    results.error = error instanceof Error ? error.message : String(error);
    log(`failed: ${results.error}`);
    if (server) log(`server log: ${server.logFile} (kept only with --keep-files)`);
    return 1;
  } finally {
    results.git ??= gitState();
    if (results.machine)
      (results.machine as Record<string, unknown>).loadAverageEnd = os.loadavg().map((l) => round(l));
    mkdirSync(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${RESULTS}`);
    await cleanup();
  }
}

process.exitCode = await main();
