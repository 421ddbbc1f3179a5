import type { Database } from "../store/database.js";

/** What every core operation is given: the database and the settings rules depend on. */
export interface CoreDeps {
  db: Database;
  settings: CoreSettings;
}

export interface CoreSettings {
  /** Country assumed for phone numbers written without a +country code. */
  defaultCountry: string | undefined;
}
