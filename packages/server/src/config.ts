import { isSupportedCountry } from "libphonenumber-js";
import type { CoreSettings, WebhookSettings } from "./core/deps.js";

/** Everything the server reads from its environment, validated once at start. */
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  poolSize: number;
  bodyLimit: number;
  logLevel: string;
  defaultCountry: string | undefined;
  accountName: string;
  adminKey: string | undefined;
  adminSecret: string | undefined;
  filesDir: string;
  maxFileBytes: number;
  maxAvatarBytes: number;
  maxImportBytes: number;
  /** Base of absolute URLs the server hands out (avatar URLs), e.g. https://contacts.example.com. */
  publicUrl: string | undefined;
  webhooks: WebhookSettings;
  /** Requests per credential per minute over all processes; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Longest time to receive a whole request (headers and body); 0 for no limit. */
  requestTimeoutMs: number;
  /** Longest a database statement may run before it is cancelled (PostgreSQL); 0 for no limit. */
  statementTimeoutMs: number;
  /** Longest a shutdown (SIGTERM) waits for requests and jobs in flight before exiting anyway. */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Every CONTACTD_ variable contactd reads: docs/configuration.md. */
export const KNOWN_SETTINGS = [
  "CONTACTD_DATA_DIR",
  "CONTACTD_FILES_DIR",
  "CONTACTD_DB_POOL_SIZE",
  "CONTACTD_ADMIN_KEY",
  "CONTACTD_ADMIN_SECRET",
  "CONTACTD_ACCOUNT_NAME",
  "CONTACTD_DEFAULT_COUNTRY",
  "CONTACTD_PUBLIC_URL",
  "CONTACTD_LOG_LEVEL",
  "CONTACTD_BODY_LIMIT",
  "CONTACTD_MAX_FILE_SIZE",
  "CONTACTD_MAX_AVATAR_SIZE",
  "CONTACTD_MAX_IMPORT_SIZE",
  "CONTACTD_RATE_LIMIT",
  "CONTACTD_REQUEST_TIMEOUT_MS",
  "CONTACTD_STATEMENT_TIMEOUT_MS",
  "CONTACTD_SHUTDOWN_TIMEOUT_MS",
  "CONTACTD_WEBHOOK_TIMEOUT_MS",
  "CONTACTD_WEBHOOK_MAX_ATTEMPTS",
  "CONTACTD_WEBHOOK_RETRY_BASE_MS",
  "CONTACTD_WEBHOOK_RETRY_MAX_MS",
] as const;

/** A misspelt setting would silently keep its default: refuse it, naming the likely one. */
function refuseUnknownSettings(env: Env): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith("CONTACTD_") || (KNOWN_SETTINGS as readonly string[]).includes(name)) continue;
    const closest = [...KNOWN_SETTINGS].sort((a, b) => distance(name, a) - distance(name, b))[0];
    throw new ConfigError(`${name} is not a contactd setting (did you mean ${closest}?)`);
  }
}

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost);
    }
    row = next;
  }
  return row[b.length] as number;
}

export function loadConfig(env: Env = process.env): Config {
  refuseUnknownSettings(env);
  const adminKey = env.CONTACTD_ADMIN_KEY || undefined;
  const adminSecret = env.CONTACTD_ADMIN_SECRET || undefined;
  if ((adminKey === undefined) !== (adminSecret === undefined)) {
    throw new ConfigError("CONTACTD_ADMIN_KEY and CONTACTD_ADMIN_SECRET must be set together");
  }
  if (adminKey !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(adminKey)) {
    throw new ConfigError("CONTACTD_ADMIN_KEY must be 8 to 128 characters of A-Z, a-z, 0-9, _ and -");
  }
  if (adminSecret !== undefined && (adminSecret.length < 16 || adminSecret.length > 256)) {
    throw new ConfigError("CONTACTD_ADMIN_SECRET must be 16 to 256 characters long");
  }
  const defaultCountry = env.CONTACTD_DEFAULT_COUNTRY?.toUpperCase() || undefined;
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    throw new ConfigError(
      `CONTACTD_DEFAULT_COUNTRY must be an ISO 3166 country code such as US or VN, got "${defaultCountry}"`,
    );
  }
  const logLevel = env.CONTACTD_LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`CONTACTD_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  const dataDir = env.CONTACTD_DATA_DIR || "./data";
  const publicUrl = env.CONTACTD_PUBLIC_URL?.replace(/\/+$/, "") || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(publicUrl)) {
    throw new ConfigError("CONTACTD_PUBLIC_URL must be an http(s) URL such as https://contacts.example.com");
  }
  return {
    databaseUrl,
    dataDir,
    filesDir: env.CONTACTD_FILES_DIR || `${dataDir}/files`,
    maxFileBytes: integer(env, "CONTACTD_MAX_FILE_SIZE", 25 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
    maxAvatarBytes: integer(env, "CONTACTD_MAX_AVATAR_SIZE", 5 * 1024 * 1024, 1, 100 * 1024 * 1024),
    maxImportBytes: integer(env, "CONTACTD_MAX_IMPORT_SIZE", 1024 * 1024 * 1024, 1, 100 * 1024 * 1024 * 1024),
    publicUrl,
    webhooks: {
      timeoutMs: integer(env, "CONTACTD_WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
      maxAttempts: integer(env, "CONTACTD_WEBHOOK_MAX_ATTEMPTS", 10, 1, 50),
      retryBaseMs: integer(env, "CONTACTD_WEBHOOK_RETRY_BASE_MS", 5_000, 1, 3_600_000),
      retryMaxMs: integer(env, "CONTACTD_WEBHOOK_RETRY_MAX_MS", 3_600_000, 1, 86_400_000),
    },
    rateLimitPerMinute: integer(env, "CONTACTD_RATE_LIMIT", 3000, 0, 100_000_000),
    requestTimeoutMs: integer(env, "CONTACTD_REQUEST_TIMEOUT_MS", 120_000, 0, 86_400_000),
    statementTimeoutMs: integer(env, "CONTACTD_STATEMENT_TIMEOUT_MS", 30_000, 0, 86_400_000),
    shutdownTimeoutMs: integer(env, "CONTACTD_SHUTDOWN_TIMEOUT_MS", 30_000, 0, 3_600_000),
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 3000, 0, 65535),
    poolSize: integer(env, "CONTACTD_DB_POOL_SIZE", 10, 1, 1000),
    bodyLimit: integer(env, "CONTACTD_BODY_LIMIT", 1_048_576, 1024, 1_073_741_824),
    logLevel,
    defaultCountry,
    accountName: env.CONTACTD_ACCOUNT_NAME || "Default",
    adminKey,
    adminSecret,
  };
}

/** What the core is given of the configuration. */
export function coreSettingsOf(config: Config): CoreSettings {
  return {
    defaultCountry: config.defaultCountry,
    maxFileBytes: config.maxFileBytes,
    maxAvatarBytes: config.maxAvatarBytes,
    maxImportBytes: config.maxImportBytes,
    webhooks: config.webhooks,
    rateLimitPerMinute: config.rateLimitPerMinute,
  };
}
