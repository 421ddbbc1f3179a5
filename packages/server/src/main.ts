import pino from "pino";
import { buildApp } from "./app.js";
import { startBackgroundWork } from "./background.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { bootstrap } from "./core/accounts/bootstrap.js";
import { createCore } from "./core/index.js";
import { LocalDiskBlobStore } from "./store/blobs.js";
import type { Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";
import { openDatabase } from "./store/open.js";

async function main(config: Config): Promise<void> {
  const db: Database = await openDatabase(config);
  await migrate(db);
  await announceFirstAccount(db, config);
  const blobs = new LocalDiskBlobStore(config.filesDir);
  const settings = {
    defaultCountry: config.defaultCountry,
    maxFileBytes: config.maxFileBytes,
    maxAvatarBytes: config.maxAvatarBytes,
    maxImportBytes: config.maxImportBytes,
    webhooks: config.webhooks,
    rateLimitPerMinute: config.rateLimitPerMinute,
  };
  const core = createCore({ db, blobs, settings });
  // Written asynchronously: a synchronous write per line held up every request.
  const logDestination = pino.destination({ dest: 1, sync: false });
  process.once("exit", () => logDestination.flushSync());
  const app = await buildApp({
    core,
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeoutMs,
    logLevel: config.logLevel,
    publicUrl: config.publicUrl,
    logDestination,
  });
  await app.listen({ host: config.host, port: config.port });
  const background = await startBackgroundWork(core, app.log);
  const stop = async () => {
    await background.stop();
    await app.close();
    await core.close();
    await db.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
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
