/**
 * The bare baseline the suite compares the product with: plain Fastify on the product's own store
 * functions (packages/server/dist/store), so it runs the same SQL through the same driver and pool
 * size, with no authentication, validation or rendering: the rows go out through JSON.stringify.
 *
 *   tsx bench/baseline-server.ts --port N (--database-url postgres://… | --pglite DIR) [--pool 10]
 *
 * Routes, the account in the path instead of a credential:
 *   GET /accounts/:account/contacts/:id          the contact (findContact)
 *   GET /accounts/:account/contacts?limit&cursor  a page of the default listing (listContacts)
 *   GET /accounts/:account/search?q&limit         the product's search (searchContacts, with the
 *                                                 product's sample of search_text)
 *   GET /accounts/:account/chatwoot-search?q      Chatwoot's search query on chatwoot_contacts
 *   GET /health
 *
 * Listing and search read one row more than the page, as the product does to know if more follow.
 */

import { parseArgs } from "node:util";
import Fastify, { type FastifyReply } from "fastify";
import { productModules } from "./lib/product.js";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    "database-url": { type: "string" },
    pglite: { type: "string" },
    pool: { type: "string", default: "10" },
  },
});
if (!args.port || (!args["database-url"] && !args.pglite)) {
  process.stderr.write("usage: tsx bench/baseline-server.ts --port N (--database-url URL | --pglite DIR)\n");
  process.exit(2);
}

const product = await productModules();
const { sql } = product;
const db = args["database-url"]
  ? product.openPostgres(args["database-url"], Number(args.pool))
  : await product.openPglite(args.pglite);

const searchSamples = new product.SearchSampleCache(db);
const app = Fastify({ logger: false });
const json = (reply: FastifyReply, value: unknown) => reply.type("application/json").send(JSON.stringify(value));

type AccountParams = { account: string };
type Page = { limit?: string; cursor?: string; q?: string };

app.get("/health", async () => "ok");

app.get<{ Params: AccountParams & { id: string } }>("/accounts/:account/contacts/:id", async (request, reply) => {
  const contact = await product.findContact(db, Number(request.params.account), Number(request.params.id));
  if (!contact) return reply.code(404).send();
  return json(reply, contact);
});

app.get<{ Params: AccountParams; Querystring: Page }>("/accounts/:account/contacts", async (request, reply) => {
  const limit = Number(request.query.limit ?? 50);
  const cursor = request.query.cursor ? product.decodeCursor(request.query.cursor) : null;
  const rows = await product.listContacts(db, Number(request.params.account), {
    sort: "created_at",
    direction: "desc",
    labels: [],
    limit: limit + 1,
    skip: 0,
    after: cursor?.position ?? null,
  });
  return json(
    reply,
    rows.map((row) => row.contact),
  );
});

app.get<{ Params: AccountParams; Querystring: Page }>("/accounts/:account/search", async (request, reply) => {
  const term = product.searchTerm(request.query.q ?? "");
  const rows = await product.searchContacts(
    db,
    Number(request.params.account),
    { term, digits: product.phoneDigits(term), labels: [], limit: Number(request.query.limit ?? 50) + 1, skip: 0 },
    await searchSamples.current(),
  );
  return json(reply, rows);
});

// Chatwoot's contact search (ContactsController#search): four columns matched with ILIKE (LIKE for
// identifier) against '%term%', 15 a page plus one to know if more follow, no ORDER BY.
app.get<{ Params: AccountParams; Querystring: Page }>("/accounts/:account/chatwoot-search", async (request, reply) => {
  const pattern = `%${(request.query.q ?? "").trim()}%`;
  const rows = await db.query(sql`
    SELECT * FROM chatwoot_contacts
    WHERE account_id = ${Number(request.params.account)}
      AND (name ILIKE ${pattern} OR email ILIKE ${pattern} OR phone_number ILIKE ${pattern} OR identifier LIKE ${pattern})
    LIMIT 16 OFFSET 0`);
  return json(reply, rows);
});

await app.listen({ host: "127.0.0.1", port: Number(args.port) });

const stop = async () => {
  await app.close();
  await db.close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
