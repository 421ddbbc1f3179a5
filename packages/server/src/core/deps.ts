import type { BlobStore } from "../store/blobs.js";
import type { Database } from "../store/database.js";

/** What every core operation is given: the database and the settings rules depend on. */
export interface CoreDeps {
  db: Database;
  blobs: BlobStore;
  settings: CoreSettings;
}

export interface CoreSettings {
  /** Country assumed for phone numbers written without a +country code. */
  defaultCountry: string | undefined;
  /** Largest file attached to a contact, in bytes. */
  maxFileBytes: number;
  /** Largest avatar image, in bytes. */
  maxAvatarBytes: number;
  /** Largest CSV file an import takes, in bytes. */
  maxImportBytes: number;
  webhooks: WebhookSettings;
  /** Requests each credential may make per minute, over all server processes; 0 for no limit. */
  rateLimitPerMinute: number;
}

export interface WebhookSettings {
  /** How long one delivery attempt may take before it counts as failed. */
  timeoutMs: number;
  /** Attempts before a delivery is given up as failed. */
  maxAttempts: number;
  /** Wait before the first retry; each further retry waits twice as long, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  defaultCountry: undefined,
  maxFileBytes: 25 * 1024 * 1024,
  maxAvatarBytes: 5 * 1024 * 1024,
  maxImportBytes: 1024 * 1024 * 1024,
  webhooks: { timeoutMs: 10_000, maxAttempts: 10, retryBaseMs: 5_000, retryMaxMs: 60 * 60 * 1000 },
  rateLimitPerMinute: 0,
};
