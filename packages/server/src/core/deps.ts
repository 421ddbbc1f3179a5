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
}

export const DEFAULT_SETTINGS: CoreSettings = {
  defaultCountry: undefined,
  maxFileBytes: 25 * 1024 * 1024,
  maxAvatarBytes: 5 * 1024 * 1024,
};
