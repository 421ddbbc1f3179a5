import { ConfigError, coreSettingsOf, loadConfig } from "../config.js";
import type { Actor } from "../core/actor.js";
import { NotFoundError } from "../core/errors.js";
import { type Core, createCore } from "../core/index.js";
import { LocalDiskBlobStore } from "../store/blobs.js";
import type { Database } from "../store/database.js";
import { pendingMigrations } from "../store/migrate.js";
import { DatabaseInUseError, openDatabase } from "../store/open.js";
import type { CommandContext } from "./command.js";
import { DirectTarget } from "./direct-target.js";
import { RemoteTarget } from "./remote-target.js";
import { CliError, type Target } from "./target.js";

/** The database the server would use, from the same settings; refused while another process holds it. */
export async function openConfiguredDatabase(env: CommandContext["env"]) {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid configuration: ${error.message}`, 2);
    throw error;
  }
  const name = config.databaseUrl ? redacted(config.databaseUrl) : `the embedded database in ${config.dataDir}`;
  try {
    return { config, name, db: await openDatabase(config) };
  } catch (error) {
    if (error instanceof DatabaseInUseError) {
      throw new CliError(`${error.message}: stop it, or send the work to it with --url`);
    }
    throw error;
  }
}

/** A running server (--url / CONTACTD_URL) or, with --account, the database directly. */
export async function openTarget(context: CommandContext): Promise<Target> {
  const url = (context.values.url as string | undefined) ?? context.env.CONTACTD_URL;
  if (url) {
    const token = (context.values.token as string | undefined) ?? context.env.CONTACTD_TOKEN;
    if (!token) throw new CliError("--url needs --token (or CONTACTD_TOKEN): an API key's key.secret", 2);
    if (!/^https?:\/\//.test(url)) throw new CliError(`--url must be an http(s) URL, got "${url}"`, 2);
    return new RemoteTarget(url, token);
  }
  const accountId = accountOption(context);
  const { config, name, db } = await openConfiguredDatabase(context.env);
  try {
    await requireMigrated(db);
    const core = createCore({ db, blobs: new LocalDiskBlobStore(config.filesDir), settings: coreSettingsOf(config) });
    const actor = await administrator(core, accountId, name);
    return new DirectTarget(name, core, actor, async () => {
      await core.close();
      await db.close();
    });
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Runs `work` with the core on the configured database, closing both after. */
export async function withCore<T>(context: CommandContext, work: (core: Core, name: string) => Promise<T>): Promise<T> {
  const { config, name, db } = await openConfiguredDatabase(context.env);
  try {
    await requireMigrated(db);
    const core = createCore({ db, blobs: new LocalDiskBlobStore(config.filesDir), settings: coreSettingsOf(config) });
    try {
      return await work(core, name);
    } finally {
      await core.close();
    }
  } finally {
    await db.close();
  }
}

/** The account's administrator, to act as; a clear error when the account does not exist. */
export async function administrator(core: Core, accountId: number, where: string): Promise<Actor> {
  try {
    return await core.accounts.administrator(accountId);
  } catch (error) {
    if (error instanceof NotFoundError) throw new CliError(`account ${accountId} does not exist in ${where}`);
    throw error;
  }
}

export function accountOption(context: CommandContext): number {
  const raw = context.values.account as string | undefined;
  if (raw === undefined) throw new CliError("give --account ID (or --url and --token for a running server)", 2);
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new CliError(`--account must be an account id, got "${raw}"`, 2);
  return id;
}

export async function requireMigrated(db: Database): Promise<void> {
  const pending = await pendingMigrations(db).catch(() => null);
  if (pending === null || pending.length > 0) {
    throw new CliError("the database is not migrated to this version: run `contactd migrate` first");
  }
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
