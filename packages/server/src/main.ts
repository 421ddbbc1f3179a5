import { buildApp } from "./app.js";
import { startBackgroundWork } from "./background.js";
import { type Config, ConfigError, coreSettingsOf, loadConfig } from "./config.js";
import { bootstrap } from "./core/accounts/bootstrap.js";
import { createCore } from "./core/index.js";
import type { Lifecycle } from "./faces/operations/index.js";
import { logDestination } from "./log-destination.js";
import { Metrics } from "./metrics.js";
import { LocalDiskBlobStore } from "./store/blobs.js";
import type { Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";
import { openDatabase } from "./store/open.js";

async function main(config: Config): Promise<void> {
  const db: Database = await openDatabase(config);
  await migrate(db);
  await announceFirstAccount(db, config);
  const blobs = new LocalDiskBlobStore(config.filesDir);
  const core = createCore({ db, blobs, settings: coreSettingsOf(config) });
  // Written asynchronously in blocks, at least every 250 ms: a write per line (an access line per
  // request) cost more than some requests. Exit writes out what is left.
  const logLines = logDestination(1, 250);
  process.once("exit", () => logLines.flushSync());
  const metrics = new Metrics(core);
  const lifecycle: Lifecycle = { draining: false };
  const app = await buildApp({
    core,
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeoutMs,
    logLevel: config.logLevel,
    publicUrl: config.publicUrl,
    logDestination: logLines,
    metrics,
    lifecycle,
  });
  // Workers and signal handlers first: once the process says it is listening, SIGTERM is handled.
  const background = await startBackgroundWork(core, app.log, { metrics });
  const shutdown = async (signal: string) => {
    app.log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down");
    lifecycle.draining = true;
    // Past the timeout, whatever is still running is cut off: leases hand unfinished jobs on.
    setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown timed out; exiting with work unfinished");
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    try {
      // Stop accepting and finish the requests in flight, while the workers finish their current
      // jobs (an import its current batch); then the database goes.
      await Promise.all([app.close(), background.stop()]);
      await core.close();
      await db.close();
      app.log.info("shut down");
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  await app.listen({ host: config.host, port: config.port });
}

async function announceFirstAccount(db: Database, config: Config): Promise<void> {
  const given =
    config.adminKey && config.adminSecret ? { key: config.adminKey, secret: config.adminSecret } : undefined;
  const created = await bootstrap(db, { accountName: config.accountName, key: given });
  if (!created) return;
  const { account, apiKey } = created;
  const lines = [
    `Created account ${account.id} ("${account.name}") with an administrator API key.`,
    `  key:    ${apiKey.key}`,
    given ? "  secret: (from CONTACTD_ADMIN_SECRET)" : `  secret: ${apiKey.secret}`,
    given ? "" : "  The secret is shown only this once: store it now.",
  ];
  process.stdout.write(`${lines.filter(Boolean).join("\n")}\n`);
}

try {
  await main(loadConfig());
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`contactd: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
