import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./util.js";

/**
 * The built server's own modules (packages/server/dist), typed from their sources. They are loaded
 * at run time, after the build, so that the harness and the baseline server run the product's SQL.
 */
const dist = (path: string) => pathToFileURL(join(ROOT, "packages/server/dist", path)).href;

export async function productModules() {
  const [postgres, pglite, migrate, accounts, contacts, contactSearch, sql, cursor, search, normalize, searchSample] =
    await Promise.all([
      import(dist("store/postgres.js")) as Promise<typeof import("../../packages/server/src/store/postgres.js")>,
      import(dist("store/pglite.js")) as Promise<typeof import("../../packages/server/src/store/pglite.js")>,
      import(dist("store/migrate.js")) as Promise<typeof import("../../packages/server/src/store/migrate.js")>,
      import(dist("core/accounts/create.js")) as Promise<
        typeof import("../../packages/server/src/core/accounts/create.js")
      >,
      import(dist("store/contacts.js")) as Promise<typeof import("../../packages/server/src/store/contacts.js")>,
      import(dist("store/contact-search.js")) as Promise<
        typeof import("../../packages/server/src/store/contact-search.js")
      >,
      import(dist("store/sql.js")) as Promise<typeof import("../../packages/server/src/store/sql.js")>,
      import(dist("core/contacts/cursor.js")) as Promise<
        typeof import("../../packages/server/src/core/contacts/cursor.js")
      >,
      import(dist("core/contacts/search.js")) as Promise<
        typeof import("../../packages/server/src/core/contacts/search.js")
      >,
      import(dist("core/contacts/normalize.js")) as Promise<
        typeof import("../../packages/server/src/core/contacts/normalize.js")
      >,
      import(dist("core/contacts/search-sample.js")) as Promise<
        typeof import("../../packages/server/src/core/contacts/search-sample.js")
      >,
    ]);
  return {
    openPostgres: postgres.openPostgres,
    openPglite: pglite.openPglite,
    migrate: migrate.migrate,
    createAccount: accounts.createAccount,
    findContact: contacts.findContact,
    listContacts: contacts.listContacts,
    searchContacts: contactSearch.searchContacts,
    SearchSampleCache: searchSample.SearchSampleCache,
    sql: sql.sql,
    encodeCursor: cursor.encodeCursor,
    decodeCursor: cursor.decodeCursor,
    searchTerm: search.searchTerm,
    phoneDigits: normalize.phoneDigits,
  };
}

export type Product = Awaited<ReturnType<typeof productModules>>;
export type Database = import("../../packages/server/src/store/database.js").Database;

/** The product's database: PostgreSQL at `databaseUrl`, else PGlite in `dataDir` (no server may have it open). */
export function openDatabase(product: Product, target: { databaseUrl?: string; dataDir?: string }): Promise<Database> {
  if (target.databaseUrl) return Promise.resolve(product.openPostgres(target.databaseUrl, 4));
  return product.openPglite(target.dataDir);
}
