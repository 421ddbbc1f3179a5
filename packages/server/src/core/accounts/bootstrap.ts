import { countAccounts } from "../../store/accounts.js";
import type { Database } from "../../store/database.js";
import { sql } from "../../store/sql.js";
import { createAccount, type NewAccount } from "./create.js";

const BOOTSTRAP_LOCK = 7_404_013;

/**
 * On an empty database, creates the first account and its administrator credential: the given
 * key and secret when set, otherwise generated ones. Returns null when accounts already exist.
 */
export async function bootstrap(
  db: Database,
  input: { accountName: string; key?: { key: string; secret: string } },
): Promise<NewAccount | null> {
  return db.transaction(async (tx) => {
    // Several processes may start at once on one database: only one creates the account.
    await tx.query(sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    if ((await countAccounts(tx)) > 0) return null;
    return createAccount(tx, { name: input.accountName, key: input.key });
  });
}
