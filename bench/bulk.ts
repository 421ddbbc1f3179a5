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
 *    autovacuum would, for servers where autovacuum is off. Then the rest of the import's output
 *    (history entries, events, label links) is COPYed into indexed copies of its tables, once
 *    without and once with the foreign keys of the product's tables (bench/lib/output-copy.ts).
 * 5. Export: GET /v1/contacts/export.csv streamed and counted, on a freshly started server so its
 *    memory is the export's own, then COPY (SELECT the same columns) TO STDOUT via psql as the
 *    baseline.
 *
 * The server's RSS is sampled every 250 ms (VmRSS) and its lifetime peak read from VmHWM; each
 * phase also records the server's CPU time, the whole machine's busy share and the WAL written.
 * Results go to bench/results/bulk-latest.json.
 */
import { mkdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { COPY_COLUMNS, type GenerateSummary, generate } from "./generate-csv.js";
import { exportBaselineSql, runExport } from "./lib/exports.js";
import { ANALYZED_TABLES, analyzeEvery, project, runImport } from "./lib/imports.js";
import { gitState, loadAverage, machineInfo, procStatus, RssSampler } from "./lib/machine.js";
import { copyImportOutput } from "./lib/output-copy.js";
import { phase } from "./lib/phase.js";
import { Psql } from "./lib/psql.js";
import { basicAuth, ensureBuilt, productNodeFlags, type Server, startServer, stopServer } from "./lib/server.js";
import { table } from "./lib/table.js";
import { fmt, log, mb, ROOT, round, sleep, timestamp } from "./lib/util.js";

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
const pg = new Psql(new URL(args.pg));
const ADMIN = { key: "ck_bench_admin", secret: "bench-secret-0123456789" };
const AUTH = basicAuth(ADMIN);

// ---- Run --------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const dbName = `contactd_bench_${timestamp()}`;
  const workDir = await mkdtemp(join(args["work-dir"], "contactd-bench-"));
  const databaseUrl = pg.database(dbName);
  const wal = { psql: pg, db: dbName };
  const serverOptions = (main: string) => ({
    main,
    workDir,
    databaseUrl,
    dataDir: join(workDir, "data"),
    admin: ADMIN,
    logLevel: args["log-level"],
  });
  let server: Server | null = null;
  let rss: RssSampler | null = null;
  const machine = machineInfo();
  let dbCreated = false;
  let cleaning: Promise<void> | null = null;
  const cleanup = () => {
    cleaning ??= (async () => {
      rss?.stop();
      if (server) await stopServer(server).catch((error) => log(`stopping the server: ${error}`));
      if (dbCreated && !args["keep-db"]) {
        await pg
          .run("postgres", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
          .catch((error) => log(`dropping ${dbName}: ${error}`));
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
    await pg.run("postgres", `CREATE DATABASE ${dbName}`);
    dbCreated = true;
    log(`created ${dbName}`);
    server = await startServer(serverOptions(main));
    rss = new RssSampler(server.pid);
    const serverInfo = { pid: server.pid, rss };
    const accountId = Number(await pg.run(dbName, "SELECT id FROM accounts ORDER BY id LIMIT 1"));
    const postgres = await pg.settings(dbName);
    // Other work may share the machine: the load average and each phase's machineBusyPct show it.
    results.machine = { ...machine, postgres: postgres.version, postgresSettings: postgres.settings };
    results.git = gitState();

    // COPY baselines: the rows the import creates, into contacts-shaped tables.
    const columns = COPY_COLUMNS.join(", ");
    await pg.run(
      dbName,
      `CREATE TABLE bench_contacts_indexed (LIKE contacts INCLUDING ALL);
       ALTER TABLE bench_contacts_indexed ALTER COLUMN account_id SET DEFAULT ${accountId};
       CREATE TABLE bench_contacts_plain (LIKE contacts INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING CONSTRAINTS);
       ALTER TABLE bench_contacts_plain ALTER COLUMN account_id SET DEFAULT ${accountId};`,
    );
    const indexes = Number(
      await pg.run(dbName, "SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_contacts_indexed'"),
    );
    const copyInto = async (tableName: string) => {
      await pg.run(dbName, "CHECKPOINT");
      return phase(
        `COPY into ${tableName}`,
        null,
        () => pg.run(dbName, `\\copy ${tableName} (${columns}) FROM '${copyFile}' WITH (FORMAT csv)`),
        wal,
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
    await pg.run(dbName, "CHECKPOINT");
    const stopAnalyzing = analyzeEvery(ANALYZE_EVERY_S, () => pg.run(dbName, `ANALYZE ${ANALYZED_TABLES}`));
    let analyzeRuns = 0;
    const imported = await phase(
      "import",
      serverInfo,
      () => runImport((server as Server).base, AUTH, csvFile, MAX_IMPORT_MS),
      wal,
    ).finally(() => {
      analyzeRuns = stopAnalyzing();
    });
    const run = imported.result;
    const job = run.job;
    const counted = job.created + job.updated + job.skipped + job.failed;
    const failedReasons = Object.fromEntries(
      (
        await pg.run(
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
    const backlog = Number(await pg.run(dbName, "SELECT count(*) FROM events WHERE dispatched_at IS NULL"));
    const drained = await phase("event dispatch backlog", serverInfo, async () => {
      for (;;) {
        const left = Number(await pg.run(dbName, "SELECT count(*) FROM events WHERE dispatched_at IS NULL"));
        if (left === 0) return;
        await sleep(500);
      }
    });

    // Same rows in the table the import wrote and in the COPY baseline?
    const fingerprint = (tableName: string) =>
      pg.run(
        dbName,
        `SELECT count(*) || ' ' || sum(hashtextextended(concat_ws('|', name, email, phone_e164, phone_raw, identifier,
           additional_attributes::text, custom_attributes::text, search_text), 0)) FROM ${tableName} WHERE account_id = ${accountId}`,
      );
    const [importedPrint, copiedPrint] = [await fingerprint("contacts"), await fingerprint("bench_contacts_indexed")];
    const writes = await pg.run(
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

    // The rest of what the import wrote, written again with COPY: with the contacts' COPY, the
    // least it costs to write the import's whole output; then the same with the foreign keys the
    // product's tables have, the least it costs in the product's schema.
    const outputCopy = await copyImportOutput(pg, dbName, workDir, accountId, { foreignKeys: false });
    const wholeCopyRate = data.copyRows / (copyIndexed.stats.seconds + outputCopy.seconds);
    const outputCopyWithFks = await copyImportOutput(pg, dbName, workDir, accountId, { foreignKeys: true });
    const wholeCopyWithFksRate = data.copyRows / (copyIndexed.stats.seconds + outputCopyWithFks.seconds);

    // Export: vacuumed first, so neither the API nor COPY pays for setting hint bits; on a freshly
    // started server, so its memory is the export's own and not what the import left behind.
    const vacuum = await phase(
      "vacuum analyze",
      null,
      () => pg.run(dbName, "VACUUM (ANALYZE) contacts, contact_labels, labels"),
      wal,
    );
    const importServer = {
      rssAfterMb: mb(procStatus(server.pid, "VmRSS")),
      peakRssMbLifetime: mb(procStatus(server.pid, "VmHWM")),
    };
    rss.stop();
    await stopServer(server);
    server = await startServer(serverOptions(main));
    rss = new RssSampler(server.pid);
    await sleep(2000);
    const exportServer = { pid: server.pid, rss };
    const exported = await phase("export", exportServer, () => runExport((server as Server).base, AUTH), wal);
    const copyOut = await phase("COPY TO STDOUT", null, () => pg.copyOut(dbName, exportBaselineSql(accountId)), wal);
    const exportRows = exported.result.lines - 1;
    const copyOutRows = copyOut.result.lines - 1;
    const serverHwm = procStatus(server.pid, "VmHWM");

    // Rates and ratios
    const exportRate = exportRows / exported.stats.seconds;
    const copyOutRate = copyOutRows / copyOut.stats.seconds;
    const ratios = {
      importVsIndexedCopy: round(importRate / copyIndexedRate, 3),
      importVsPlainCopy: round(importRate / copyPlainRate, 3),
      importVsWholeOutputCopy: round(importRate / wholeCopyRate, 3),
      importVsWholeOutputCopyWithFks: round(importRate / wholeCopyWithFksRate, 3),
      wholeOutputCopyWithFksVsIndexedCopy: round(wholeCopyWithFksRate / copyIndexedRate, 3),
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
      wholeOutputCopy: { ...outputCopy, rowsPerSecond: Math.round(wholeCopyRate) },
      wholeOutputCopyWithFks: { ...outputCopyWithFks, rowsPerSecond: Math.round(wholeCopyWithFksRate) },
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
        nodeFlags: productNodeFlags(),
        importProcess: importServer,
        exportProcess: { peakRssMbLifetime: mb(serverHwm) },
      },
      clientPeakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      ratios,
      goals,
    });

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
          "COPY FROM, contacts and the history entries, events and label links the import wrote",
          fmt(data.copyRows),
          String(round(copyIndexed.stats.seconds + outputCopy.seconds, 3)),
          fmt(Math.round(wholeCopyRate)),
          `${ratios.importVsWholeOutputCopy} (import/this)`,
          "—",
        ],
        [
          "COPY FROM, the same into tables with the foreign keys the product's tables have",
          fmt(data.copyRows),
          String(round(copyIndexed.stats.seconds + outputCopyWithFks.seconds, 3)),
          fmt(Math.round(wholeCopyWithFksRate)),
          `${ratios.importVsWholeOutputCopyWithFks} (import/this); ${ratios.wholeOutputCopyWithFksVsIndexedCopy} × indexed COPY`,
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
    if (results.machine) (results.machine as Record<string, unknown>).loadAverageEnd = loadAverage();
    mkdirSync(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${RESULTS}`);
    await cleanup();
  }
}

process.exitCode = await main();
