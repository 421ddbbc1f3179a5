/**
 * The benchmark suite: the product against baselines measured in the same run, on PostgreSQL and
 * on PGlite. Every figure is a ratio, because the machines it runs on are shared and noisy.
 *
 *   npm run bench -- [--size N] [--quick] [--pglite-size N] [--skip-pglite] [--only 1,2,6] [--seed N]
 *     [--pg postgres://…] [--connections N] [--keep-db] [--keep-files] [--keep-docs] [--max-import-minutes N]
 *     [--cpu N|none]
 *
 * PostgreSQL (a throwaway database contactd_bench_<timestamp>, dropped at the end, also on failure):
 * the dataset is loaded through POST /v1/imports in stages (10k, 100k, N contacts), measuring
 * scenario 4 (import against COPY) and 6 (growth) on the way; then conversations and comments for
 * 2 % of the large account, scenario 5 (export against COPY TO), and scenarios 1, 2, 3 and 7 against
 * the bare baseline server (bench/baseline-server.ts) and Chatwoot's search query.
 *
 * PGlite (the product server with no DATABASE_URL, in a temporary data directory): scenarios 1, 2,
 * 3 and 6 at a smaller size. PGlite is one process's database, so the baseline opens a copy of the
 * product's directory, made once the data is in place; the two run at once, windows in turns.
 *
 * Through a comparison's windows, the servers compared run on one CPU (--cpu, by default the last;
 * `none` leaves them to the scheduler, which kept each on a core of its own: see `sharedCpu`).
 *
 * Writes bench/results/latest.json, prints the table, and on a complete run (no --only, no
 * --keep-docs) writes the table into docs/benchmarks.md between its markers and the growth chart to
 * docs/benchmarks-growth.svg.
 */
import { mkdirSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type AccountPlan, planAccounts, planStages, type StageFile, stageSizes, writeStage } from "./lib/dataset.js";
import { END, resultsTable, START, writeBetweenMarkers } from "./lib/docs.js";
import { exportBaselineSql, runExport } from "./lib/exports.js";
import { growthChart, type Series } from "./lib/growth-chart.js";
import { addLinkedRecords } from "./lib/linked-records.js";
import { gitState, loadAverage, machineInfo, RssSampler, sharedCpu } from "./lib/machine.js";
import { phase, type Watched } from "./lib/phase.js";
import { createChatwootTable, type ReadTargets, readTargets } from "./lib/prepare.js";
import { type Database, type Product, productModules } from "./lib/product.js";
import { Psql } from "./lib/psql.js";
import {
  type Comparison,
  type ReadContext,
  type Results,
  type Row,
  runComparisons,
  type SearchTerms,
  warmUp,
} from "./lib/scenario.js";
import {
  basicAuth,
  ensureBuilt,
  freePort,
  productNodeFlags,
  type Server,
  startProcess,
  startServer,
  stopServer,
} from "./lib/server.js";
import { importStage, type StageImport } from "./lib/stage-import.js";
import { fmt, log, mb, ROOT, round, sleep, timestamp } from "./lib/util.js";
import { stopLoadGenerator, type WindowSettings } from "./lib/windows.js";
import { DEPTH_SHARE, deepPageComparisons, deepPageRows } from "./scenarios/deep-page.js";
import { type GrowthPoint, growthComparison, growthPoint, growthRows } from "./scenarios/growth.js";
import {
  type CopyStage,
  copyStage,
  createCopyTables,
  EXPORT_GOAL,
  EXPORT_RSS_MB,
  type ExportFigures,
  exportRows,
  INDEXED,
  importFigures,
  importRows,
  PLAIN,
} from "./scenarios/import-export.js";
import { mixedComparison, mixedRows } from "./scenarios/mixed.js";
import { readComparisons, readRows } from "./scenarios/reads.js";
import { searchComparisons, searchRows } from "./scenarios/search.js";

const RESULTS = join(ROOT, "bench/results/latest.json");
const DOCS = join(ROOT, "docs/benchmarks.md");
const CHART = join(ROOT, "docs/benchmarks-growth.svg");

// ---- Options ----------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    size: { type: "string", default: "1000000" },
    quick: { type: "boolean", default: false },
    "pglite-size": { type: "string", default: "20000" },
    "skip-pglite": { type: "boolean", default: false },
    only: { type: "string" },
    seed: { type: "string", default: "20261122" },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432" },
    connections: { type: "string", default: "8" },
    "keep-db": { type: "boolean", default: false },
    "keep-files": { type: "boolean", default: false },
    "keep-docs": { type: "boolean", default: false },
    "work-dir": { type: "string", default: os.tmpdir() },
    "max-import-minutes": { type: "string", default: "120" },
    "log-level": { type: "string" },
    cpu: { type: "string" },
  },
});

function whole(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

const SIZE = whole("size", args.size, 1000);
const PGLITE_SIZE = whole("pglite-size", args["pglite-size"], 1000);
const SEED = whole("seed", args.seed, 0);
const ALL = [1, 2, 3, 4, 5, 6, 7];
const PGLITE_SCENARIOS = [1, 2, 3, 6];
const ONLY = new Set(args.only ? args.only.split(",").map((s) => whole("only", s.trim(), 1)) : ALL);
const runs = (scenario: number, target: "postgres" | "pglite" = "postgres") =>
  ONLY.has(scenario) && (target === "postgres" || PGLITE_SCENARIOS.includes(scenario));
const MAX_IMPORT_MS = whole("max-import-minutes", args["max-import-minutes"], 1) * 60_000;
const SETTINGS: WindowSettings = {
  connections: whole("connections", args.connections, 1),
  ...(args.quick ? { warmupSeconds: 0.5, seconds: 2, rounds: 1 } : { warmupSeconds: 2, seconds: 10, rounds: 2 }),
  cpu: sharedCpu(args.cpu),
};
const MIXED = args.quick ? { seconds: 10, warmupSeconds: 1 } : { seconds: 60, warmupSeconds: 2 };
/** Per arm, once a server has started, before its first measured window. */
const WARM_UP_SECONDS = args.quick ? 0.5 : 2;
/** Search terms of each kind (scenario 2, 6 and 7). */
const TERMS_PER_KIND = 8;

// ---- Clean-up ---------------------------------------------------------------------------------

/** Undo steps, run last to first at the end, also on failure or on a signal. */
const undo: Array<{ what: string; run: () => Promise<unknown> }> = [];
let undoing: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  undoing ??= (async () => {
    for (const step of undo.reverse()) {
      await step.run().catch((error) => log(`${step.what}: ${error}`));
    }
  })();
  return undoing;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---- Pieces shared by both databases ---------------------------------------------------------

interface Run {
  kind: "postgres" | "pglite";
  size: number;
  product: Product;
  main: string;
  workDir: string;
  accounts: AccountPlan[];
  accountIds: number[];
  settings: WindowSettings;
  /** PostgreSQL only: the database's URL, and psql for the harness's own SQL. */
  databaseUrl?: string;
  psql?: Psql;
  dbName?: string;
  /** PGlite only: its data directory. */
  dataDir?: string;
}

const auth = (run: Run, account: number) => basicAuth((run.accounts[account] as AccountPlan).credential);

async function createAccounts(run: Run, db: Database): Promise<number[]> {
  await run.product.migrate(db);
  const ids: number[] = [];
  for (const account of run.accounts) {
    const created = await db.transaction((tx) =>
      run.product.createAccount(tx, { name: account.name, key: account.credential }),
    );
    ids.push(created.account.id);
  }
  return ids;
}

async function startProduct(run: Run): Promise<{ server: Server; watched: Watched }> {
  const server = await startServer({
    main: run.main,
    workDir: run.workDir,
    ...(run.databaseUrl ? { databaseUrl: run.databaseUrl } : {}),
    dataDir: run.dataDir ?? join(run.workDir, "data"),
    admin: (run.accounts[0] as AccountPlan).credential,
    ...(args["log-level"] ? { logLevel: args["log-level"] } : {}),
    logFile: join(run.workDir, `server-${run.kind}.log`),
  });
  const rss = new RssSampler(server.pid);
  undo.push({ what: "stopping the server", run: () => stopServer(server).finally(() => rss.stop()) });
  return { server, watched: { pid: server.pid, rss } };
}

async function stopProduct(product: { server: Server; watched: Watched }): Promise<void> {
  product.watched.rss.stop();
  await stopServer(product.server);
}

/** The bare routes on the run's database; on PGlite, in `dataDir` (a copy of the product's). */
async function startBaseline(run: Run, dataDir = run.dataDir): Promise<Server> {
  const port = await freePort();
  const target = run.databaseUrl ? ["--database-url", run.databaseUrl] : ["--pglite", dataDir as string];
  const server = await startProcess({
    args: ["--import", "tsx", join(ROOT, "bench/baseline-server.ts"), "--port", String(port), ...target],
    env: process.env,
    port,
    readyPath: "/health",
    logFile: join(run.workDir, `baseline-${run.kind}.log`),
    cwd: ROOT,
  });
  undo.push({ what: "stopping the baseline server", run: () => stopServer(server) });
  return server;
}

/** The rare term is a contact's own identifier code (found through the API at the first stage). */
async function pickTerms(base: string, authorization: string): Promise<SearchTerms> {
  const response = await fetch(`${base}/v1/contacts?limit=100`, { headers: { authorization } });
  const page = (await response.json()) as { data: Array<{ name: string; identifier: string | null }> };
  const rare = page.data
    .flatMap((contact) => (contact.identifier ? [contact.identifier.toLowerCase().replace(/^crm-/, "")] : []))
    .slice(0, TERMS_PER_KIND);
  if (rare.length === 0) throw new Error("no contact with an identifier on the first page");
  const names = page.data.map((contact) => contact.name.toLowerCase());
  const pieces = (text: string, length: number) =>
    Array.from({ length: Math.max(0, text.length - length + 1) }, (_, i) => text.slice(i, i + length)).filter((piece) =>
      /^\p{L}+$/u.test(piece),
    );
  const common = byFrequency(names.flatMap((name) => pieces(name, 3))).slice(0, TERMS_PER_KIND);
  const starts = byFrequency(names.flatMap((name) => pieces(name.slice(0, 2), 2)));
  const half = TERMS_PER_KIND / 2;
  const short = [...starts.slice(0, half), ...starts.slice(-half)];
  return { rare, common, short };
}

/** Distinct items, most frequent first (ties in first-seen order). */
function byFrequency(items: string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([item]) => item);
}

/** Waits until the server has dispatched the events the writes left (PostgreSQL only). */
async function drainEvents(run: Run): Promise<{ backlog: number; seconds: number }> {
  const psql = run.psql as Psql;
  const db = run.dbName as string;
  const count = async () => Number(await psql.run(db, "SELECT count(*) FROM events WHERE dispatched_at IS NULL"));
  const backlog = await count();
  const started = performance.now();
  while ((await count()) > 0) {
    if (performance.now() - started > 600_000) throw new Error("events were still undispatched after 10 minutes");
    await sleep(500);
  }
  return { backlog, seconds: round((performance.now() - started) / 1000, 2) };
}

/** The product server as it runs now: settling a PGlite stage restarts it. */
interface Running {
  server: Server;
  watched: Watched;
}

interface Loaded {
  terms: SearchTerms;
  stages: Array<{
    size: number;
    files: number;
    generateSeconds: number;
    import: StageImport;
    settled: unknown;
  }>;
  copies: { indexed: CopyStage[]; plain: CopyStage[]; indexes: number | null; sameRows: boolean | null };
  growth: GrowthPoint[];
}

/**
 * Loads the dataset stage by stage through the product's imports, with the COPY baselines of each
 * stage (scenario 4, PostgreSQL) and the growth windows after it (scenario 6). `settle` brings the
 * database to the same state after every stage (events dispatched, vacuumed and analyzed), so that
 * the stages differ only in size.
 */
async function loadStages(run: Run, running: () => Running, settle: () => Promise<unknown>): Promise<Loaded> {
  const filesDir = join(run.workDir, `files-${run.kind}`);
  mkdirSync(filesDir, { recursive: true });
  const plan = planStages(run.size, run.accounts, SEED, filesDir);
  const sizes = stageSizes(run.size);
  const pg = run.psql && run.dbName ? { psql: run.psql, db: run.dbName } : null;
  const copies: Loaded["copies"] = { indexed: [], plain: [], indexes: null, sameRows: null };
  if (pg && runs(4)) copies.indexes = await createCopyTables(pg.psql, pg.db);
  const stages: Loaded["stages"] = [];
  const growth: GrowthPoint[] = [];
  const growthResults: Results = new Map();
  let terms: SearchTerms | null = null;
  let contacts = 0;
  for (const [stage, files] of plan.entries()) {
    const size = sizes[stage] as number;
    const generated = performance.now();
    const summaries = await writeStage(files, run.accountIds);
    const generateSeconds = round((performance.now() - generated) / 1000, 2);
    const rows = files.reduce((sum, file: StageFile) => sum + file.rows, 0);
    log(`${run.kind} stage ${stage}: ${fmt(rows)} rows in ${files.length} files (${generateSeconds} s to write)`);
    if (pg && runs(4)) {
      const copyRows = summaries.reduce((sum, s) => sum + s.copyRows, 0);
      copies.indexed.push(await copyStage(pg.psql, pg.db, INDEXED, files, copyRows, run.workDir));
      copies.plain.push(await copyStage(pg.psql, pg.db, PLAIN, files, copyRows, run.workDir));
    }
    const product = running();
    const imported = await importStage({
      name: `${run.kind} import, stage ${stage} (to ${fmt(size)})`,
      base: product.server.base,
      files,
      summaries,
      auth: (account) => auth(run, account),
      server: product.watched,
      wal: pg,
      maxMs: MAX_IMPORT_MS,
    });
    if (imported.timedOut) throw new Error(`stage ${stage}'s imports did not finish in --max-import-minutes`);
    if (!imported.countsAsExpected) log(`stage ${stage}: import counts differ from the generator's (see the JSON)`);
    contacts += imported.counts.created;
    const settled = await settle();
    stages.push({ size, files: files.length, generateSeconds, import: imported, settled });
    terms ??= await pickTerms(running().server.base, auth(run, 0));
    if (runs(6, run.kind)) {
      const comparison = growthComparison(stage, terms);
      const productSide = {
        product: { origin: running().server.base, headers: { authorization: auth(run, 0) }, pid: running().server.pid },
      };
      await warmUp([comparison], productSide, run.settings, WARM_UP_SECONDS);
      await runComparisons([comparison], productSide, run.settings, growthResults);
      growth.push(growthPoint(growthResults, stage, size, contacts));
    }
    if (!args["keep-files"]) {
      for (const file of files) {
        await rm(file.csv, { force: true });
        await rm(file.copy, { force: true });
      }
    }
  }
  if (pg && runs(4)) {
    // The imports stored what COPY stored: every imported column, hashed over all accounts.
    const fingerprint = (table: string) =>
      pg.psql.run(
        pg.db,
        `SELECT count(*) || ' ' || sum(hashtextextended(concat_ws('|', account_id, name, email, phone_e164, phone_raw,
           identifier, additional_attributes::text, custom_attributes::text, search_text), 0)) FROM ${table}`,
      );
    copies.sameRows = (await fingerprint("contacts")) === (await fingerprint(INDEXED));
    if (!copies.sameRows) log("the imported contacts differ from the COPY baseline's rows");
  }
  return { terms: terms as SearchTerms, stages, copies, growth };
}

/** The read scenarios' comparisons (1, 2, 3) that this run measures. */
function readScenarioComparisons(ctx: ReadContext, kind: Run["kind"]): Comparison[] {
  return [
    ...(runs(1, kind) ? readComparisons(ctx) : []),
    ...(runs(2, kind) ? searchComparisons(ctx) : []),
    ...(runs(3, kind) ? deepPageComparisons(ctx) : []),
  ];
}

function readScenarioRows(results: Results, ctx: ReadContext, kind: Run["kind"], suffix: string): Map<number, Row[]> {
  const rows = new Map<number, Row[]>();
  if (runs(1, kind)) rows.set(1, readRows(results, `1${suffix}`));
  if (runs(2, kind)) rows.set(2, searchRows(results, ctx.terms, `2${suffix}`));
  if (runs(3, kind)) rows.set(3, deepPageRows(results, ctx, `3${suffix}`));
  return rows;
}

const targetsSummary = (targets: ReadTargets) => ({
  largeAccountContacts: targets.contacts,
  sampleIds: targets.sampleIds.length,
  linkedContacts: targets.linkedIds.length,
  deepPage: targets.deepPage,
});

const resultsObject = (results: Results) =>
  Object.fromEntries([...results].map(([key, arms]) => [key, Object.fromEntries(arms)]));

const growthObject = (points: GrowthPoint[]) =>
  points.map((p) => ({
    size: p.size,
    contacts: p.contacts,
    search: armSummary(p.search),
    list: armSummary(p.list),
  }));

/** An arm's figures, with each window's p99 and waits (where the growth stall would show). */
const armSummary = (arm: GrowthPoint["search"]) => ({
  requestsPerSecond: arm.requestsPerSecond,
  latencyMs: arm.latencyMs,
  windows: arm.windows.map((w) => ({ p99: w.latencyMs.p99, waits: w.waits })),
});

// ---- PostgreSQL -------------------------------------------------------------------------------

/** What each busy session of the product's database (servers and baselines) waits for now. */
async function sessionWaits(product: Product, db: Database): Promise<string[]> {
  const rows = await db.query<{ wait: string }>(product.sql`
    SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait FROM pg_stat_activity
    WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`);
  return rows.map((row) => row.wait);
}

/**
 * VACUUM (ANALYZE) of the product's tables (not of the COPY baselines' copies), then a CHECKPOINT,
 * so that no checkpoint forced by the load's WAL runs during the windows that follow.
 */
async function vacuumProductTables(psql: Psql, db: string): Promise<void> {
  const tables = await psql.run(
    db,
    "SELECT string_agg(quote_ident(relname), ', ') FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname NOT LIKE 'bench\\_%'",
  );
  await psql.run(db, `VACUUM (ANALYZE) ${tables}`);
  await psql.run(db, "CHECKPOINT");
}

async function runPostgres(base: Omit<Run, "kind" | "size" | "accountIds">, report: Record<string, unknown>) {
  const psql = new Psql(new URL(args.pg));
  const dbName = `contactd_bench_${timestamp()}`;
  await psql.run("postgres", `CREATE DATABASE ${dbName}`);
  undo.push({
    what: `dropping ${dbName}`,
    run: async () => {
      if (args["keep-db"]) return log(`kept ${dbName}`);
      await psql.run("postgres", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      log(`dropped ${dbName}`);
    },
  });
  const databaseUrl = psql.database(dbName);
  const db = base.product.openPostgres(databaseUrl, 4);
  undo.push({ what: "closing the harness's connections", run: () => db.close() });
  const run: Run = {
    ...base,
    kind: "postgres",
    size: SIZE,
    accountIds: [],
    databaseUrl,
    psql,
    dbName,
    settings: { ...base.settings, waits: () => sessionWaits(base.product, db) },
  };
  run.accountIds = await createAccounts(run, db);
  const postgres = await psql.settings(dbName);
  report.database = { name: dbName, version: postgres.version, settings: postgres.settings };
  let product = await startProduct(run);
  const vacuum = () => vacuumProductTables(psql, dbName);

  // Events from the imports are dispatched in the background: that finishes before measuring.
  // Autovacuum may be off (it is off on the cluster these figures come from), so the suite vacuums
  // and analyzes as it would after a bulk load.
  const loaded = await loadStages(
    run,
    () => product,
    async () => ({ events: await drainEvents(run), vacuum: (await phase("VACUUM ANALYZE", null, vacuum)).stats }),
  );
  Object.assign(report, {
    terms: loaded.terms,
    stages: loaded.stages,
    copies: loaded.copies,
    growth: growthObject(loaded.growth),
  });
  const largeId = run.accountIds[0] as number;
  const targets = await readTargets(run.product, db, largeId, DEPTH_SHARE);
  report.readTargets = targetsSummary(targets);
  report.linkedRecords = await addLinkedRecords(product.server.base, auth(run, 0), targets.linkedIds);
  report.linkedEvents = await drainEvents(run);
  if (runs(4)) await psql.run(dbName, `DROP TABLE ${INDEXED}, ${PLAIN}`);
  if (runs(2)) {
    report.chatwootTable = (await phase("Chatwoot's table", null, () => createChatwootTable(db))).stats;
  }
  report.vacuum = (await phase("VACUUM ANALYZE", null, vacuum)).stats;
  report.sizes = JSON.parse(
    await psql.run(
      dbName,
      `SELECT json_build_object('database_mb', pg_database_size(current_database()) / 1048576,
         'contacts_mb', pg_total_relation_size('contacts') / 1048576,
         'contacts', (SELECT count(*) FROM contacts), 'conversations', (SELECT count(*) FROM conversations),
         'comments', (SELECT count(*) FROM comments), 'contact_labels', (SELECT count(*) FROM contact_labels))`,
    ),
  );

  const rows = new Map<number, Row[]>();
  let exported: ExportFigures | null = null;
  if (runs(5)) {
    // On a freshly started server, so that its memory is the export's own.
    await stopProduct(product);
    product = await startProduct(run);
    await sleep(1000);
    const exportPhase = await phase("export", product.watched, () => runExport(product.server.base, auth(run, 0)), {
      psql,
      db: dbName,
    });
    const copyOut = await phase("COPY TO STDOUT", null, () => psql.copyOut(dbName, exportBaselineSql(largeId)), {
      psql,
      db: dbName,
    });
    const exportRowsCount = exportPhase.result.lines - 1;
    const copyRows = copyOut.result.lines - 1;
    const rate = exportRowsCount / exportPhase.stats.seconds;
    const copyRate = copyRows / copyOut.stats.seconds;
    const peak = exportPhase.stats.serverPeakRssMb ?? 0;
    const ratio = round(rate / copyRate, 3);
    exported = {
      rows: exportRowsCount,
      bytes: exportPhase.result.bytes,
      seconds: exportPhase.stats.seconds,
      rowsPerSecond: Math.round(rate),
      firstByteSeconds: exportPhase.result.firstByteSeconds,
      peakRssMb: peak,
      rowsMatch: exportRowsCount === targets.contacts,
      phase: exportPhase.stats,
      copyOut: {
        rows: copyRows,
        bytes: copyOut.result.bytes,
        seconds: copyOut.stats.seconds,
        rowsPerSecond: Math.round(copyRate),
        phase: copyOut.stats,
      },
      ratio,
      met: ratio >= EXPORT_GOAL && peak < EXPORT_RSS_MB && exportRowsCount === targets.contacts,
    };
    report.export = exported;
  }

  const ctx: ReadContext = { accountId: largeId, targets, terms: loaded.terms };
  const baseline = await startBaseline(run);
  const productSide = {
    origin: product.server.base,
    headers: { authorization: auth(run, 0) },
    pid: product.server.pid,
  };
  const servers = { product: productSide, baseline: { origin: baseline.base, headers: {}, pid: baseline.pid } };
  const comparisons = readScenarioComparisons(ctx, "postgres");
  await warmUp(comparisons, servers, run.settings, WARM_UP_SECONDS);
  const results = await runComparisons(comparisons, servers, run.settings);
  if (runs(7)) await runComparisons([mixedComparison(ctx, MIXED)], { product: productSide }, run.settings, results);
  report.productRssMb = mb(product.watched.rss.peak());
  report.windows = resultsObject(results);
  await stopServer(baseline);
  await stopProduct(product);

  for (const [n, r] of readScenarioRows(results, ctx, "postgres", "")) rows.set(n, r);
  if (runs(4)) {
    const figures = importFigures(
      loaded.stages.map((s) => s.import),
      loaded.copies.indexed,
      loaded.copies.plain,
      loaded.copies.sameRows,
    );
    report.import = figures;
    rows.set(4, importRows(figures, "4"));
  }
  if (exported) rows.set(5, exportRows(exported, "5"));
  if (runs(6)) rows.set(6, growthRows(loaded.growth, "6"));
  if (runs(7)) rows.set(7, mixedRows(results, "7"));
  return { rows, growth: loaded.growth };
}

// ---- PGlite -----------------------------------------------------------------------------------

async function runPglite(base: Omit<Run, "kind" | "size" | "accountIds">, report: Record<string, unknown>) {
  const dataDir = join(base.workDir, "pglite");
  const run: Run = { ...base, kind: "pglite", size: PGLITE_SIZE, accountIds: [], dataDir };
  const open = () => run.product.openPglite(dataDir);
  {
    const db = await open();
    run.accountIds = await createAccounts(run, db);
    const [version] = await db.query<{ version: string }>(run.product.sql`SELECT version()`);
    report.database = { version: version?.version, dataDir };
    await db.close();
  }
  let product = await startProduct(run);
  // PGlite has no autovacuum, and only one process may open it: the server stops while the harness
  // vacuums and analyzes, as on PostgreSQL.
  const loaded = await loadStages(
    run,
    () => product,
    async () => {
      await stopProduct(product);
      const db = await open();
      const vacuumed = await phase("VACUUM ANALYZE", null, () => db.exec("VACUUM (ANALYZE)"));
      await db.close();
      product = await startProduct(run);
      return { vacuum: vacuumed.stats };
    },
  );
  Object.assign(report, { terms: loaded.terms, stages: loaded.stages, growth: growthObject(loaded.growth) });
  await stopProduct(product);

  // With the server stopped, the harness may open the directory: find the read targets, build
  // Chatwoot's table and analyze, as on PostgreSQL.
  const largeId = run.accountIds[0] as number;
  let targets: ReadTargets;
  {
    const db = await open();
    targets = await readTargets(run.product, db, largeId, DEPTH_SHARE);
    const [backlog] = await db.query<{ n: number }>(
      run.product.sql`SELECT count(*)::int AS n FROM events WHERE dispatched_at IS NULL`,
    );
    report.eventsUndispatchedAfterLoad = backlog?.n ?? 0;
    if (runs(2, "pglite")) await createChatwootTable(db);
    await db.close();
  }
  report.readTargets = targetsSummary(targets);
  const ctx: ReadContext = { accountId: largeId, targets, terms: loaded.terms };
  const comparisons = readScenarioComparisons(ctx, "pglite");

  product = await startProduct(run);
  report.linkedRecords = await addLinkedRecords(product.server.base, auth(run, 0), targets.linkedIds);
  await stopProduct(product);
  // As on PostgreSQL, the vacuum follows the linked records, whose writes left dead rows and
  // trigram entries in the pending list: the product's own maintenance would merge them a minute
  // after it starts, during the windows.
  {
    const db = await open();
    report.vacuum = (await phase("VACUUM ANALYZE", null, () => db.exec("VACUUM (ANALYZE)"))).stats;
    await db.close();
  }
  // The baseline opens a copy of the directory, so that both servers run at once and their windows
  // take turns as on PostgreSQL. Run one after the other, each side's windows fell minutes apart,
  // and on this kind of machine one core can run at half speed for minutes at a time (see "PGlite
  // gets" in docs/benchmarks.md), which moved the gets ratio between 0.47 and 0.93 ×.
  const baselineDir = join(base.workDir, "pglite-baseline");
  await cp(dataDir, baselineDir, { recursive: true });
  product = await startProduct(run);
  const baseline = await startBaseline(run, baselineDir);
  const servers = {
    product: { origin: product.server.base, headers: { authorization: auth(run, 0) }, pid: product.server.pid },
    baseline: { origin: baseline.base, headers: {}, pid: baseline.pid },
  };
  await warmUp(comparisons, servers, run.settings, WARM_UP_SECONDS);
  const results = await runComparisons(comparisons, servers, run.settings);
  await stopServer(baseline);
  await stopProduct(product);
  report.windows = resultsObject(results);

  const rows = readScenarioRows(results, ctx, "pglite", " PGlite");
  if (runs(6, "pglite")) rows.set(6, growthRows(loaded.growth, "6 PGlite"));
  return { rows, growth: loaded.growth };
}

// ---- Report -----------------------------------------------------------------------------------

function chartSeries(pg: GrowthPoint[], pglite: GrowthPoint[]): Series[] {
  const series = (label: string, color: string, dashed: boolean, points: GrowthPoint[], kind: "search" | "list") => ({
    label,
    color,
    dashed,
    points: points.map((p) => ({ size: p.size, p99: p[kind].latencyMs.p99 })),
  });
  return [
    series("search, PostgreSQL", "#1f77b4", false, pg, "search"),
    series("list, PostgreSQL", "#d62728", false, pg, "list"),
    series("search, PGlite", "#6baed6", true, pglite, "search"),
    series("list, PGlite", "#f08080", true, pglite, "list"),
  ].filter((s) => s.points.length > 0);
}

function docsBlock(report: Record<string, any>, rows: Row[], command: string): string {
  const machine = report.machine;
  const pg = report.targets?.postgres?.database;
  const pglite = report.targets?.pglite?.database;
  const settings = pg?.settings ?? {};
  const lines = [
    `Last run: ${report.date.slice(0, 16).replace("T", " ")} UTC, \`${command}\`, ${round(report.wallSeconds / 60, 1)} min wall time,`,
    `commit ${report.git.commit}${report.git.dirty ? " with uncommitted changes under packages/" : ""}.`,
    "",
    `- ${machine.cpus} vCPU (${machine.cpuModel}), ${machine.memoryGb} GB RAM, Node ${machine.node}, shared with other work: load average (1, 5, 15 min) ${machine.loadAverageStart.join(" / ")} at the start, ${machine.loadAverageEnd.join(" / ")} at the end;`,
    pg
      ? `- PostgreSQL ${pg.version}: shared_buffers ${settings.shared_buffers}, work_mem ${settings.work_mem}, max_wal_size ${settings.max_wal_size}, autovacuum ${settings.autovacuum}, synchronous_commit ${settings.synchronous_commit}; ${fmt(SIZE)} contacts;`
      : "",
    pglite ? `- ${String(pglite.version).replace(/ on .*$/, "")}, ${fmt(PGLITE_SIZE)} contacts;` : "",
    `- windows of ${SETTINGS.seconds} s after ${SETTINGS.warmupSeconds} s of warm-up at ${SETTINGS.connections} connections, ${SETTINGS.rounds} per side in turns (scenario 7: ${MIXED.seconds} s at 32)${SETTINGS.cpu == null ? "" : `; the compared servers both on CPU ${SETTINGS.cpu} meanwhile`}.`,
    "",
    resultsTable(rows),
    "",
    "Search and list p99 as the dataset grows (scenario 6):",
    "",
    "![p99 latency of search and list against the number of contacts](benchmarks-growth.svg)",
  ];
  return lines.filter((line, i, all) => line !== "" || all[i - 1] !== "").join("\n");
}

async function main(): Promise<number> {
  const started = performance.now();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const workDir = await mkdtemp(join(args["work-dir"], "contactd-suite-"));
  undo.push({ what: "stopping the load generator", run: async () => stopLoadGenerator() });
  undo.push({
    what: "removing the work folder",
    run: async () => {
      if (args["keep-files"]) return log(`kept ${workDir}`);
      await rm(workDir, { recursive: true, force: true });
    },
  });
  const report: Record<string, any> = {
    date: new Date().toISOString(),
    options: { size: SIZE, pgliteSize: PGLITE_SIZE, quick: args.quick, seed: SEED, only: [...ONLY], ...SETTINGS },
    machine: machineInfo(),
    git: gitState(),
    server: { nodeFlags: productNodeFlags(), logLevel: args["log-level"] ?? "the server's default" },
    targets: {},
  };
  const rows = new Map<string, Row[]>();
  const growth = { postgres: [] as GrowthPoint[], pglite: [] as GrowthPoint[] };
  let failed = false;
  try {
    const main = ensureBuilt();
    const product = await productModules();
    const base = {
      product,
      main,
      workDir,
      accounts: planAccounts(),
      settings: SETTINGS,
    };
    report.targets.postgres = {};
    const pg = await runPostgres(base, report.targets.postgres);
    for (const [n, r] of pg.rows) rows.set(`${n}`, r);
    growth.postgres = pg.growth;
    if (!args["skip-pglite"] && PGLITE_SCENARIOS.some((n) => ONLY.has(n))) {
      report.targets.pglite = {};
      const lite = await runPglite(base, report.targets.pglite);
      for (const [n, r] of lite.rows) rows.set(`${n} PGlite`, r);
      growth.pglite = lite.growth;
    }
  } catch (error) {
    failed = true;
    report.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`failed: ${report.error}`);
  } finally {
    await cleanUp();
  }
  report.machine.loadAverageEnd = loadAverage();
  report.wallSeconds = round((performance.now() - started) / 1000, 1);
  const ordered = [...rows.entries()]
    .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b))
    .flatMap(([, r]) => r);
  report.table = ordered;
  mkdirSync(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${RESULTS}`);
  process.stdout.write(`\n${resultsTable(ordered)}\n\nwall time: ${round(report.wallSeconds / 60, 1)} min\n`);

  if (!failed && !args.only && !args["keep-docs"]) {
    const block = docsBlock(report, ordered, command);
    if (await writeBetweenMarkers(DOCS, block)) log(`updated ${DOCS}`);
    else log(`${DOCS} has no ${START} … ${END} markers: not updated`);
    if (growth.postgres.length + growth.pglite.length > 0) {
      await writeFile(CHART, growthChart(chartSeries(growth.postgres, growth.pglite), "Search and list p99 by size"));
      log(`wrote ${CHART}`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
