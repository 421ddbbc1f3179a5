import { expect } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, type Credentials, httpClient, newAccount, newAgent, type TestServer } from "./harness.js";
import { filesUnder, IMAGES, MULTIPART, multipartBody, type Part } from "./upload-helpers.js";

/**
 * A valid request for every route of every face, for tests that must cover all of them (tenancy,
 * roles): routes come from the app's route table, and a route without a recipe here fails those
 * tests, so a new route cannot go unchecked.
 */

export type Role = "administrator" | "agent";
export type Face = "native" | "chatwoot" | "livedesk" | "imbrace" | "public";

export interface Route {
  method: string;
  url: string;
}

export const routeKey = (route: Route): string => `${route.method} ${route.url}`;

/** Every method of every registered route, once each, in registration order. */
export function routesOf(server: TestServer): Route[] {
  const seen = new Map<string, Route>();
  for (const { method, url } of server.app.routeTable) seen.set(`${method} ${url}`, { method, url });
  return [...seen.values()];
}

const CHATWOOT = "/api/v1/accounts/:account_id";
const IMBRACE = "/channel-service/v1";
const LIVEDESK = "/api/v2/accounts/contacts";

/**
 * The routes anyone may call without credentials: uploaded avatars (the long random key is the
 * capability), the API document and its docs page, health, readiness and metrics, and Chatwoot's `GET /api`
 * (n8n's credential test). Every other route must refuse a request without credentials.
 */
export const DOCS_URLS = [
  "/docs",
  "/docs/static/index.html",
  "/docs/static/swagger-initializer.js",
  "/docs/json",
  "/docs/yaml",
  "/docs/static/*",
] as const;
export const PUBLIC_ROUTES: readonly string[] = [
  ...["/avatars/:key", "/api", "/openapi.json", "/healthz", "/readyz", "/metrics", ...DOCS_URLS].flatMap((url) => [
    `GET ${url}`,
    `HEAD ${url}`,
  ]),
  // The docs plugin's trailing-slash twin is registered for HEAD only.
  "HEAD /docs/",
];

export function isPublic(route: Route): boolean {
  return PUBLIC_ROUTES.includes(routeKey(route));
}

export function faceOf(route: Route): Face {
  const { url } = route;
  if (isPublic(route)) return "public";
  if (url.startsWith("/v1/")) return "native";
  if (url.startsWith(`${CHATWOOT}/`)) return "chatwoot";
  if (url === LIVEDESK) return "livedesk";
  if (url.startsWith(`${IMBRACE}/`)) return "imbrace";
  throw new Error(`No face known for ${routeKey(route)}: add it to route-requests.ts`);
}

/** Path parameters that name records (Chatwoot's account id names the account, not a record). */
export function namesRecords(route: Route): boolean {
  return /:(?!account_id\b)\w+/.test(route.url);
}

// ---- Credentials --------------------------------------------------------------------------------

export interface Key {
  key: string;
  secret: string;
}

/** A credential as each face reads it. */
export function authHeaders(face: Face, credential: Key | null): Record<string, string> {
  if (!credential) return {};
  const token = `${credential.key}.${credential.secret}`;
  switch (face) {
    case "chatwoot":
      return { api_access_token: token };
    case "imbrace":
      return { "x-api-key": token };
    default:
      return { authorization: basicAuth(credential) };
  }
}

// ---- Requests -----------------------------------------------------------------------------------

export interface RouteRequest {
  /** Path and query; a Chatwoot path keeps `:account_id` for the caller to fill in. */
  path: string;
  json?: unknown;
  form?: Part[];
  headers?: Record<string, string>;
  /** Success statuses; any 2xx when unset. */
  ok?: number[];
  /** What another account's credential gets: 404 when the path names records, success otherwise, unless set. */
  foreign?: number;
  /** A further check of another account's answer (a batch answers 200 and refuses inside). */
  checkForeign?: (body: any) => void;
  /** A text/event-stream: read until it is live, then hang up. */
  stream?: boolean;
  /** Undoes what building the request set up (run after the request and its checks). */
  cleanup?: () => Promise<void>;
}

/** A request an agent may not make: another user's record, or what the account withdrew from agents. */
export interface RefusedRequest extends RouteRequest {
  status: number;
  /** When the refusal is inside a 200 (a batch). */
  checkRefused?: (body: any) => void;
}

export interface Recipe {
  /** A valid request for `role` on records of the workspace (the role's own where ownership matters). */
  build(w: Workspace, role: Role): Promise<RouteRequest>;
  /** Requests an agent is refused although the route is open to agents. */
  refusedToAgent?(w: Workspace): Promise<RefusedRequest>;
}

export interface Answer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/**
 * Sends `request` to `route` (its method) with the given headers; `accountId` fills a Chatwoot
 * path's `:account_id`. A stream is read until its `ready` event, or only its headers for HEAD.
 */
export async function send(
  server: TestServer,
  route: Route,
  request: RouteRequest,
  headers: Record<string, string>,
  accountId: number,
): Promise<Answer> {
  const url = `${server.url}${request.path.replace(":account_id", String(accountId))}`;
  const all: Record<string, string> = { ...headers, ...request.headers };
  let body: string | Buffer | undefined;
  if (request.form) {
    all["content-type"] = MULTIPART;
    body = multipartBody(request.form);
  } else if (request.json !== undefined) {
    all["content-type"] = "application/json";
    body = JSON.stringify(request.json);
  }
  const abort = new AbortController();
  // A stream's headers come at once; a stream that sends none in time is reported as no answer.
  const timer = setTimeout(() => abort.abort(), request.stream ? STREAM_WAIT_MS : 10_000);
  try {
    const response = await fetch(url, { method: route.method, headers: all, body, signal: abort.signal });
    let text = "";
    if (request.stream && response.ok) {
      if (route.method !== "HEAD") {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        while (!text.includes("event: ready")) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      }
      abort.abort();
    } else {
      text = await response.text();
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {}
    return { status: response.status, text, json, headers: response.headers };
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    return { status: 0, text: "(no answer in time)", json: undefined, headers: new Headers() };
  } finally {
    clearTimeout(timer);
  }
}

const STREAM_WAIT_MS = 2000;

/** Placeholder values for a route's parameters: enough for a request that is refused before any record is read. */
export function placeholderPath(route: Route): string {
  return route.url.replace(/:(?!account_id\b)\w+/g, "1").replace("*", "x");
}

export function isSuccess(request: RouteRequest, status: number): boolean {
  return request.ok ? request.ok.includes(status) : status >= 200 && status < 300;
}

/** 401 in the face's own error shape. */
export function expectUnauthenticated(route: Route, answer: Answer, label: string): void {
  expect.soft(answer.status, label).toBe(401);
  if (answer.status !== 401) return;
  const face = faceOf(route);
  if (face === "native" || face === "livedesk") {
    expect.soft(answer.headers.get("www-authenticate") ?? "", label).toMatch(/^Basic realm=/);
  }
  if (route.method === "HEAD") return;
  switch (face) {
    case "native":
      expect.soft(answer.json?.error, label).toMatchObject({
        type: "authentication_error",
        code: expect.any(String),
        message: expect.any(String),
        request_id: expect.any(String),
      });
      break;
    case "chatwoot":
      expect.soft(answer.json, label).toEqual({ error: "Invalid Access Token" });
      break;
    case "livedesk":
      expect.soft(answer.json, label).toEqual({ error: expect.any(String) });
      break;
    case "imbrace":
      expect.soft(answer.json, label).toMatchObject({
        code: expect.any(String),
        message: expect.any(String),
        request_id: expect.any(String),
      });
      break;
  }
}

/** A role's refusal in the face's own shape: 403 natively, 401 "not authorized" on Chatwoot's face. */
export function expectRoleRefused(route: Route, answer: Answer, label: string): void {
  const face = faceOf(route);
  const status = face === "chatwoot" ? 401 : 403;
  expect.soft(answer.status, label).toBe(status);
  if (answer.status !== status || route.method === "HEAD") return;
  if (face === "chatwoot") {
    expect.soft(answer.json, label).toEqual({ error: "You are not authorized to do this action" });
  } else if (face === "native") {
    expect.soft(answer.json?.error, label).toMatchObject({ type: "permission_error" });
  } else {
    expect.soft(answer.json, label).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  }
}

// ---- Database fingerprint -----------------------------------------------------------------------

const tablesOf = new WeakMap<object, Promise<Array<{ table_name: string; scoped: boolean }>>>();

/**
 * The row count and a hash of the rows (a sum of each row's hash, so no sorting) of every table,
 * for one account, plus the names of the stored blobs. Tables are read from information_schema, so
 * a new table is covered by itself. Equal fingerprints mean the account's data did not change.
 */
export async function fingerprint(server: TestServer, accountId: number): Promise<Record<string, string>> {
  // Events are dispatched (marked, and turned into notifications and deliveries) by any process
  // at any time, other test files' included: dispatch them first, waiting on the dispatchers'
  // lock for any that another file has claimed, so only what a request did shows.
  await server.core.events.dispatchAll();
  let tables = tablesOf.get(server.db);
  if (!tables) {
    tables = server.db.query<{ table_name: string; scoped: boolean }>(sql`
      SELECT c.table_name, bool_or(c.column_name = 'account_id') AS scoped
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      GROUP BY c.table_name ORDER BY c.table_name`);
    tablesOf.set(server.db, tables);
  }
  const columns = (await tables).map(({ table_name, scoped }) => {
    // Names come from the catalogue, not from input.
    const table = sql.raw(`"${table_name}"`);
    // The accounts table is keyed by id; a table of no account (the migrations' record) is taken whole.
    const where = scoped
      ? sql`WHERE t.account_id = ${accountId}`
      : table_name === "accounts"
        ? sql`WHERE t.id = ${accountId}`
        : sql.empty;
    return sql`(SELECT count(*) || ' ' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM ${table} t ${where}) AS ${table}`;
  });
  const [row] = await server.db.query<Record<string, string>>(sql`SELECT ${sql.join(columns)}`);
  return { ...row, "(blobs)": (await filesUnder(server.blobs.root)).join(",") };
}

// ---- Records to name --------------------------------------------------------------------------

export interface ContactRecord {
  id: string;
  email: string;
  name: string;
}

/**
 * One account with an administrator and an agent, and the records requests name, made through the
 * native API. Names carry `mark` (never request bodies), so a test can tell the account's data in
 * any answer. Shared records are made once and only read; a request that changes or removes
 * something gets records of its own.
 */
export class Workspace {
  private counter = 0;
  private readonly shared = new Map<string, Promise<unknown>>();

  private constructor(
    readonly server: TestServer,
    readonly admin: Credentials,
    readonly agent: Credentials,
    readonly mark: string,
  ) {}

  static async create(server: TestServer, mark: string): Promise<Workspace> {
    const admin = await newAccount(server.db, `${mark} account ${process.pid}`);
    return new Workspace(server, admin, await newAgent(server, admin), mark);
  }

  get accountId(): number {
    return this.admin.accountId;
  }

  user(role: Role): Credentials {
    return role === "administrator" ? this.admin : this.agent;
  }

  next(): number {
    return ++this.counter;
  }

  /** Calls the native API as `role`; anything but a 2xx is an error of the test's set-up. */
  async call(role: Role, method: string, path: string, body?: unknown): Promise<any> {
    const answer = await httpClient(this.server.url, basicAuth(this.user(role)))(method, path, body);
    if (answer.status >= 300) {
      throw new Error(`set-up ${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  /** Sends a multipart body to the native API as `role`. */
  async upload(role: Role, method: string, path: string, part: Part): Promise<any> {
    const response = await fetch(`${this.server.url}${path}`, {
      method,
      headers: { authorization: basicAuth(this.user(role)), "content-type": MULTIPART },
      body: multipartBody([part]),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`set-up ${method} ${path} → ${response.status} ${text}`);
    return JSON.parse(text);
  }

  private once<T>(name: string, make: () => Promise<T>): Promise<T> {
    if (!this.shared.has(name)) this.shared.set(name, make());
    return this.shared.get(name) as Promise<T>;
  }

  // Shared records, only ever read.

  inbox(): Promise<string> {
    return this.once("inbox", async () => {
      const inbox = await this.call("administrator", "POST", "/v1/inboxes", {
        name: `${this.mark} inbox`,
        channel_type: "Channel::Api",
      });
      return inbox.id as string;
    });
  }

  /** A contact with everything a contact can have: identity, labels, comment, file, avatar, conversation. */
  sharedContact(): Promise<ContactRecord> {
    return this.once("contact", async () => {
      const contact = await this.contact();
      await this.comment("administrator", contact.id);
      await this.file("administrator", contact.id);
      await this.conversation("administrator", contact.id);
      await this.call("administrator", "PUT", `/v1/contacts/${contact.id}/followers/me`);
      return contact;
    });
  }

  sharedComment(): Promise<string> {
    return this.once("comment", async () => this.comment("administrator", (await this.sharedContact()).id));
  }

  sharedFile(): Promise<{ contactId: string; id: string }> {
    return this.once("file", async () => {
      const contactId = (await this.sharedContact()).id;
      return { contactId, id: await this.file("administrator", contactId) };
    });
  }

  sharedConversation(): Promise<string> {
    return this.once("conversation", async () => this.conversation("administrator", (await this.sharedContact()).id));
  }

  /** The key of an uploaded avatar (public at /avatars/:key). */
  sharedAvatarKey(): Promise<string> {
    return this.once("avatar", async () => {
      const contact = await this.avatarContact();
      return new URL(contact.avatar_url).pathname.split("/").pop() as string;
    });
  }

  /** An endpoint subscribed to merges only, and one delivery to it (never sent: no sender runs). */
  sharedDelivery(): Promise<{ webhookId: string; id: string }> {
    return this.once("delivery", async () => {
      const webhookId = await this.webhook();
      await this.call("administrator", "POST", "/v1/contacts/merge", {
        base_contact_id: (await this.contact()).id,
        mergee_contact_id: (await this.contact()).id,
      });
      await this.server.core.events.dispatchAll();
      const deliveries = await this.call("administrator", "GET", `/v1/webhooks/${webhookId}/deliveries?limit=1`);
      return { webhookId, id: deliveries.data[0].id as string };
    });
  }

  sharedImport(): Promise<string> {
    return this.once("import", async () => {
      const started = await this.upload("administrator", "POST", "/v1/imports", {
        name: "file",
        filename: `${this.mark}.csv`,
        contentType: "text/csv",
        data: `name,email\n${this.mark} imported,imported-${this.accountId}@example.com\nBad,not-an-email\n`,
      });
      await this.server.core.imports.runDue({ accountId: this.accountId });
      return started.id as string;
    });
  }

  // Fresh records.

  async contact(role: Role = "administrator"): Promise<ContactRecord> {
    const n = this.next();
    const email = `c${n}-${this.accountId}@example.com`;
    const contact = await this.call(role, "POST", "/v1/contacts", {
      name: `${this.mark} contact ${n}`,
      email,
      identifier: `ident-${n}`,
      labels: [`${this.mark.toLowerCase()}-label`],
      custom_attributes: { plan: `${this.mark} plan` },
      additional_attributes: { company_name: `${this.mark} company` },
      inbox_id: await this.inbox(),
    });
    return { id: contact.id, email, name: contact.name };
  }

  async avatarContact(): Promise<any> {
    const contact = await this.contact();
    return this.upload("administrator", "PUT", `/v1/contacts/${contact.id}/avatar`, avatarPart());
  }

  async comment(role: Role, contactId: string): Promise<string> {
    const comment = await this.call(role, "POST", `/v1/contacts/${contactId}/comments`, {
      text: `${this.mark} comment ${this.next()}`,
    });
    return comment.id;
  }

  async file(role: Role, contactId: string): Promise<string> {
    const file = await this.upload(role, "POST", `/v1/contacts/${contactId}/files`, {
      name: "file",
      filename: `${this.mark}-${this.next()}.txt`,
      contentType: "text/plain",
      data: `${this.mark} file contents`,
    });
    return file.id;
  }

  async conversation(role: Role, contactId?: string, assignee?: Role): Promise<string> {
    const conversation = await this.call(role, "POST", "/v1/conversations", {
      contact_id: contactId ?? (await this.contact()).id,
      inbox_id: await this.inbox(),
      ...(assignee ? { assignee_id: String(this.user(assignee).userId) } : {}),
    });
    return conversation.id;
  }

  async inboxOfItsOwn(): Promise<string> {
    const inbox = await this.call("administrator", "POST", "/v1/inboxes", {
      name: `${this.mark} inbox ${this.next()}`,
      channel_type: "Channel::Email",
    });
    return inbox.id;
  }

  async webhook(): Promise<string> {
    const webhook = await this.call("administrator", "POST", "/v1/webhooks", {
      url: `http://127.0.0.1:9/hook-${this.next()}`,
      events: ["contact.merged"],
      description: `${this.mark} endpoint`,
    });
    return webhook.id;
  }

  /** A new API key of the agent, for an administrator to revoke. */
  async apiKey(): Promise<string> {
    const key = await this.call("administrator", "POST", `/v1/users/${this.agent.userId}/api_keys`, {
      name: `${this.mark} key ${this.next()}`,
    });
    return key.id;
  }

  /** A finished background export requested by `role`. */
  async export(role: Role): Promise<string> {
    const job = await this.call(role, "POST", "/v1/exports", { columns: ["id", "name", "email"] });
    await this.server.core.exports.runDue({ accountId: this.accountId });
    return job.id;
  }

  /** A new notification of `role`'s user: the other user assigns them a conversation. */
  async notification(role: Role): Promise<string> {
    await this.conversation(role === "administrator" ? "agent" : "administrator", undefined, role);
    await this.server.core.events.dispatchAll();
    const page = await this.call(role, "GET", "/v1/notifications?limit=1");
    if (page.data[0]?.type !== "conversation_assigned") {
      throw new Error(`set-up: no conversation_assigned notification: ${JSON.stringify(page)}`);
    }
    return page.data[0].id;
  }

  /** Withdraws merging from agents until the returned function gives it back. */
  async withdrawMerging(): Promise<() => Promise<void>> {
    await this.call("administrator", "PATCH", "/v1/account/settings", { agents_can_merge: false });
    return async () => {
      await this.call("administrator", "PATCH", "/v1/account/settings", { agents_can_merge: true });
    };
  }
}

function avatarPart(): Part {
  return { name: "file", filename: "avatar.png", contentType: "image/png", data: IMAGES["image/png"] };
}

function textPart(): Part {
  return { name: "file", filename: "notes.txt", contentType: "text/plain", data: "some notes" };
}

// ---- Recipes ------------------------------------------------------------------------------------

const q = encodeURIComponent;

/** A request that needs nothing made first. */
const fixed = (path: string, extra: Omit<RouteRequest, "path"> = {}): Recipe => ({
  build: async () => ({ path, ...extra }),
});

const recipe = (build: Recipe["build"], refusedToAgent?: Recipe["refusedToAgent"]): Recipe => ({
  build,
  ...(refusedToAgent ? { refusedToAgent } : {}),
});

const RECIPES: Record<string, Recipe> = {};
const add = (key: string, value: Recipe) => {
  if (RECIPES[key]) throw new Error(`two recipes for ${key}`);
  RECIPES[key] = value;
};

// Public.
add(
  "GET /avatars/:key",
  recipe(async (w) => ({ path: `/avatars/${await w.sharedAvatarKey()}` })),
);
add("GET /api", fixed("/api"));
add("GET /openapi.json", fixed("/openapi.json"));
add("GET /healthz", fixed("/healthz"));
add("GET /readyz", fixed("/readyz"));
add("GET /metrics", fixed("/metrics"));
for (const url of DOCS_URLS) add(`GET ${url}`, fixed(url.replace("*", "swagger-ui.css")));
add("HEAD /docs/", fixed("/docs/"));

// Native: account, users and keys.
add("GET /v1/account/settings", fixed("/v1/account/settings"));
add("PATCH /v1/account/settings", fixed("/v1/account/settings", { json: { agents_can_merge: true } }));
add("GET /v1/me", fixed("/v1/me"));
add("GET /v1/users", fixed("/v1/users"));
add("POST /v1/users", fixed("/v1/users", { json: { name: "New agent", role: "agent" }, ok: [201] }));
add(
  "POST /v1/users/:id/api_keys",
  recipe(async (w) => ({ path: `/v1/users/${w.agent.userId}/api_keys`, json: { name: "another key" }, ok: [201] })),
);
add("GET /v1/api_keys", fixed("/v1/api_keys"));
add(
  "DELETE /v1/api_keys/:id",
  recipe(async (w) => ({ path: `/v1/api_keys/${await w.apiKey()}` })),
);

// Native: contacts.
add(
  "POST /v1/contacts",
  recipe(async (w) => ({
    path: "/v1/contacts",
    json: { name: "New contact", email: `new-${w.next()}@example.com`, inbox_id: await w.inbox() },
    ok: [201],
    // The inbox named is another account's.
    foreign: 404,
  })),
);
add("GET /v1/contacts", fixed("/v1/contacts?limit=200"));
add(
  "GET /v1/contacts/search",
  recipe(async (w) => ({ path: `/v1/contacts/search?q=${q(w.mark)}&limit=200` })),
);
add(
  "GET /v1/contacts/lookup",
  recipe(async (w) => ({ path: `/v1/contacts/lookup?email=${q((await w.sharedContact()).email)}`, foreign: 404 })),
);
add(
  "GET /v1/contacts/:id",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}?include_contact_inboxes=true` })),
);
add(
  "POST /v1/contacts/:id/contact_inboxes",
  recipe(async (w) => ({
    path: `/v1/contacts/${(await w.contact()).id}/contact_inboxes`,
    json: { inbox_id: await w.inbox(), source_id: `source-${w.next()}` },
    ok: [201],
  })),
);
add(
  "GET /v1/contacts/:id/activities",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/activities` })),
);
for (const method of ["PATCH", "PUT"]) {
  add(
    `${method} /v1/contacts/:id`,
    recipe(async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}`, json: { name: "Changed" } })),
  );
}
add(
  "DELETE /v1/contacts/:id",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}` })),
);
add(
  "POST /v1/contacts/upsert",
  recipe(async (w) => ({
    path: "/v1/contacts/upsert",
    json: { email: (await w.contact()).email, custom_attributes: { tier: "gold" } },
    ok: [200],
    // Another account's credential never matches this account's contact: it makes one of its own.
    foreign: 201,
  })),
);
add(
  "POST /v1/contacts/batch",
  recipe(
    async (w) => ({
      path: "/v1/contacts/batch",
      json: { operations: [{ op: "update", id: (await w.contact()).id, data: { name: "Changed" } }] },
      ok: [200],
      checkForeign: (body) => expect.soft(body?.results?.[0]?.status, "batch on another account's contact").toBe(404),
    }),
    async (w) => ({
      path: "/v1/contacts/batch",
      json: { operations: [{ op: "delete", id: (await w.contact()).id }] },
      status: 200,
      checkRefused: (body) => expect.soft(body?.results?.[0]?.status, "an agent's delete in a batch").toBe(403),
    }),
  ),
);
add(
  "POST /v1/contacts/merge",
  recipe(
    async (w) => ({
      path: "/v1/contacts/merge",
      json: { base_contact_id: (await w.contact()).id, mergee_contact_id: (await w.contact()).id },
      foreign: 404,
    }),
    async (w) => {
      const json = { base_contact_id: (await w.contact()).id, mergee_contact_id: (await w.contact()).id };
      return { path: "/v1/contacts/merge", json, status: 403, cleanup: await w.withdrawMerging() };
    },
  ),
);

// Native: exports.
add("GET /v1/contacts/export.csv", fixed("/v1/contacts/export.csv?columns=id,name,email,labels"));
add("POST /v1/exports", fixed("/v1/exports", { json: { columns: ["id", "name"] }, ok: [202] }));
add("GET /v1/exports", fixed("/v1/exports"));
for (const suffix of ["", "/download"]) {
  add(
    `GET /v1/exports/:id${suffix}`,
    recipe(
      async (w, role) => ({ path: `/v1/exports/${await w.export(role)}${suffix}` }),
      // Another user's export is no agent's business.
      async (w) => ({ path: `/v1/exports/${await w.export("administrator")}${suffix}`, status: 404 }),
    ),
  );
}

// Native: labels.
add("GET /v1/labels", fixed("/v1/labels"));
add(
  "GET /v1/contacts/:id/labels",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/labels` })),
);
for (const [method, labels] of [
  ["PUT", ["replaced"]],
  ["POST", ["added"]],
] as const) {
  add(
    `${method} /v1/contacts/:id/labels`,
    recipe(async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}/labels`, json: { labels } })),
  );
}
add(
  "DELETE /v1/contacts/:id/labels",
  recipe(async (w) => ({
    path: `/v1/contacts/${(await w.contact()).id}/labels`,
    json: { labels: [`${w.mark.toLowerCase()}-label`] },
  })),
);

// Native: inboxes.
add("GET /v1/inboxes", fixed("/v1/inboxes"));
add(
  "GET /v1/inboxes/:id",
  recipe(async (w) => ({ path: `/v1/inboxes/${await w.inbox()}` })),
);
add(
  "POST /v1/inboxes",
  fixed("/v1/inboxes", { json: { name: "New inbox", channel_type: "Channel::WebWidget" }, ok: [201] }),
);
add(
  "PATCH /v1/inboxes/:id",
  recipe(async (w) => ({ path: `/v1/inboxes/${await w.inboxOfItsOwn()}`, json: { name: "Renamed" } })),
);
add(
  "DELETE /v1/inboxes/:id",
  recipe(async (w) => ({ path: `/v1/inboxes/${await w.inboxOfItsOwn()}` })),
);

// Native: conversations.
add(
  "POST /v1/conversations",
  recipe(async (w) => ({
    path: "/v1/conversations",
    json: { contact_id: (await w.contact()).id, inbox_id: await w.inbox() },
    ok: [201],
    foreign: 404,
  })),
);
add("GET /v1/conversations", fixed("/v1/conversations?limit=200"));
add(
  "GET /v1/conversations/:id",
  recipe(async (w) => ({ path: `/v1/conversations/${await w.sharedConversation()}` })),
);
add(
  "PATCH /v1/conversations/:id",
  recipe(async (w, role) => ({
    path: `/v1/conversations/${await w.conversation(role)}`,
    json: { status: "resolved", labels: ["handled"] },
  })),
);
add(
  "GET /v1/conversations/:id/activities",
  recipe(async (w) => ({ path: `/v1/conversations/${await w.sharedConversation()}/activities` })),
);
add(
  "GET /v1/contacts/:id/conversations",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/conversations` })),
);

// Native: comments.
add(
  "POST /v1/contacts/:id/comments",
  recipe(async (w) => ({
    path: `/v1/contacts/${(await w.contact()).id}/comments`,
    json: { text: "A note" },
    ok: [201],
  })),
);
add(
  "GET /v1/contacts/:id/comments",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/comments` })),
);
for (const method of ["PATCH", "DELETE"]) {
  const json = method === "PATCH" ? { text: "Edited" } : undefined;
  const of = async (w: Workspace, author: Role) => {
    const contactId = (await w.contact()).id;
    return `/v1/contacts/${contactId}/comments/${await w.comment(author, contactId)}`;
  };
  add(
    `${method} /v1/contacts/:id/comments/:commentId`,
    recipe(
      async (w, role) => ({ path: await of(w, role), json }),
      // Only its author or an administrator may change a comment.
      async (w) => ({ path: await of(w, "administrator"), json, status: 403 }),
    ),
  );
}

// Native: followers.
add(
  "GET /v1/contacts/:id/followers",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/followers` })),
);
add(
  "PUT /v1/contacts/:id/followers/:userId",
  recipe(
    // An agent follows for themselves; an administrator makes another user follow.
    async (w, role) => ({
      path: `/v1/contacts/${(await w.contact()).id}/followers/${role === "agent" ? "me" : w.agent.userId}`,
    }),
    async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}/followers/${w.admin.userId}`, status: 403 }),
  ),
);
add(
  "DELETE /v1/contacts/:id/followers/:userId",
  recipe(
    async (w, role) => {
      const contactId = (await w.contact()).id;
      await w.call("administrator", "PUT", `/v1/contacts/${contactId}/followers/${w.agent.userId}`);
      return { path: `/v1/contacts/${contactId}/followers/${role === "agent" ? "me" : w.agent.userId}` };
    },
    async (w) => {
      const contactId = (await w.contact()).id;
      await w.call("administrator", "PUT", `/v1/contacts/${contactId}/followers/me`);
      return { path: `/v1/contacts/${contactId}/followers/${w.admin.userId}`, status: 403 };
    },
  ),
);

// Native: notifications.
add("GET /v1/notifications", fixed("/v1/notifications?limit=200"));
add(
  "POST /v1/notifications/read",
  recipe(
    async (w, role) => ({ path: "/v1/notifications/read", json: { ids: [await w.notification(role)] }, foreign: 404 }),
    // A user only ever sees their own notifications.
    async (w) => ({
      path: "/v1/notifications/read",
      json: { ids: [await w.notification("administrator")] },
      status: 404,
    }),
  ),
);
add(
  "DELETE /v1/notifications/:id",
  recipe(
    async (w, role) => ({ path: `/v1/notifications/${await w.notification(role)}` }),
    async (w) => ({ path: `/v1/notifications/${await w.notification("administrator")}`, status: 404 }),
  ),
);
add("DELETE /v1/notifications", fixed("/v1/notifications"));
add("GET /v1/notifications/stream", fixed("/v1/notifications/stream?last_event_id=0", { stream: true }));

// Native: webhooks.
add(
  "POST /v1/webhooks",
  fixed("/v1/webhooks", { json: { url: "http://127.0.0.1:9/new", events: ["contact.deleted"] }, ok: [201] }),
);
add("GET /v1/webhooks", fixed("/v1/webhooks"));
add(
  "GET /v1/webhooks/:id",
  recipe(async (w) => ({ path: `/v1/webhooks/${(await w.sharedDelivery()).webhookId}` })),
);
add(
  "PATCH /v1/webhooks/:id",
  recipe(async (w) => ({ path: `/v1/webhooks/${await w.webhook()}`, json: { description: "changed", active: false } })),
);
add(
  "DELETE /v1/webhooks/:id",
  recipe(async (w) => ({ path: `/v1/webhooks/${await w.webhook()}` })),
);
add(
  "POST /v1/webhooks/:id/rotate_secret",
  recipe(async (w) => ({ path: `/v1/webhooks/${await w.webhook()}/rotate_secret` })),
);
add(
  "GET /v1/webhooks/:id/deliveries",
  recipe(async (w) => ({ path: `/v1/webhooks/${(await w.sharedDelivery()).webhookId}/deliveries` })),
);
add(
  "GET /v1/webhooks/:id/deliveries/:deliveryId/attempts",
  recipe(async (w) => {
    const delivery = await w.sharedDelivery();
    return { path: `/v1/webhooks/${delivery.webhookId}/deliveries/${delivery.id}/attempts` };
  }),
);
add(
  "POST /v1/webhooks/:id/deliveries/:deliveryId/retry",
  recipe(async (w) => {
    const delivery = await w.sharedDelivery();
    return { path: `/v1/webhooks/${delivery.webhookId}/deliveries/${delivery.id}/retry` };
  }),
);

// Native: files, avatars, uploads.
add(
  "POST /v1/contacts/:id/files",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}/files`, form: [textPart()], ok: [201] })),
);
add(
  "GET /v1/contacts/:id/files",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.sharedContact()).id}/files` })),
);
for (const suffix of ["", "/download"]) {
  add(
    `GET /v1/contacts/:id/files/:fileId${suffix}`,
    recipe(async (w) => {
      const file = await w.sharedFile();
      return { path: `/v1/contacts/${file.contactId}/files/${file.id}${suffix}` };
    }),
  );
}
add(
  "DELETE /v1/contacts/:id/files/:fileId",
  recipe(
    async (w, role) => {
      const contactId = (await w.contact()).id;
      return { path: `/v1/contacts/${contactId}/files/${await w.file(role, contactId)}` };
    },
    // Only its uploader or an administrator may delete a file.
    async (w) => {
      const contactId = (await w.contact()).id;
      return { path: `/v1/contacts/${contactId}/files/${await w.file("administrator", contactId)}`, status: 403 };
    },
  ),
);
add(
  "PUT /v1/contacts/:id/avatar",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.contact()).id}/avatar`, form: [avatarPart()] })),
);
add(
  "DELETE /v1/contacts/:id/avatar",
  recipe(async (w) => ({ path: `/v1/contacts/${(await w.avatarContact()).id}/avatar` })),
);
add("POST /v1/uploads", fixed("/v1/uploads", { form: [avatarPart()], ok: [201] }));

// Native: imports.
add(
  "POST /v1/imports",
  fixed("/v1/imports", {
    form: [{ name: "file", filename: "contacts.csv", contentType: "text/csv", data: "name\nImported\n" }],
    ok: [202],
  }),
);
add("GET /v1/imports", fixed("/v1/imports"));
add(
  "GET /v1/imports/:id",
  recipe(async (w) => ({ path: `/v1/imports/${await w.sharedImport()}` })),
);
add(
  "GET /v1/imports/:id/failed_rows.csv",
  recipe(async (w) => ({ path: `/v1/imports/${await w.sharedImport()}/failed_rows.csv` })),
);

// Chatwoot.
add(`GET ${CHATWOOT}/contacts`, fixed(`${CHATWOOT}/contacts`));
add(
  `GET ${CHATWOOT}/contacts/search`,
  recipe(async (w) => ({ path: `${CHATWOOT}/contacts/search?q=${q(w.mark)}` })),
);
add(
  `POST ${CHATWOOT}/contacts/filter`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts/filter`,
    json: { payload: [{ attribute_key: "name", filter_operator: "contains", values: [w.mark], query_operator: null }] },
  })),
);
add(
  `GET ${CHATWOOT}/contacts/:id`,
  recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.sharedContact()).id}` })),
);
add(
  `POST ${CHATWOOT}/contacts`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts`,
    json: { name: "New contact", email: `cw-${w.next()}@example.com`, inbox_id: Number(await w.inbox()) },
    foreign: 404,
  })),
);
for (const method of ["PUT", "PATCH"]) {
  add(
    `${method} ${CHATWOOT}/contacts/:id`,
    recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.contact()).id}`, json: { name: "Changed" } })),
  );
}
add(
  `DELETE ${CHATWOOT}/contacts/:id`,
  recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.contact()).id}` })),
);
add(
  `POST ${CHATWOOT}/contacts/:id/destroy_custom_attributes`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts/${(await w.contact()).id}/destroy_custom_attributes`,
    json: { custom_attributes: ["plan"] },
  })),
);
add(
  `DELETE ${CHATWOOT}/contacts/:id/avatar`,
  recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.avatarContact()).id}/avatar` })),
);
add(
  `POST ${CHATWOOT}/contacts/:id/contact_inboxes`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts/${(await w.contact()).id}/contact_inboxes`,
    json: { inbox_id: Number(await w.inbox()), source_id: `cw-source-${w.next()}` },
  })),
);
for (const tail of ["contactable_inboxes", "conversations", "labels", "notes"]) {
  add(
    `GET ${CHATWOOT}/contacts/:id/${tail}`,
    recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.sharedContact()).id}/${tail}` })),
  );
}
add(
  `POST ${CHATWOOT}/contacts/:id/labels`,
  recipe(async (w) => ({ path: `${CHATWOOT}/contacts/${(await w.contact()).id}/labels`, json: { labels: ["set"] } })),
);
add(
  `POST ${CHATWOOT}/contacts/:id/notes`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts/${(await w.contact()).id}/notes`,
    json: { note: { content: "A note" } },
  })),
);
add(
  `GET ${CHATWOOT}/contacts/:id/notes/:note_id`,
  recipe(async (w) => ({
    path: `${CHATWOOT}/contacts/${(await w.sharedContact()).id}/notes/${await w.sharedComment()}`,
  })),
);
for (const method of ["PATCH", "PUT", "DELETE"]) {
  const json = method === "DELETE" ? undefined : { note: { content: "Edited" } };
  const of = async (w: Workspace, author: Role) => {
    const contactId = (await w.contact()).id;
    return `${CHATWOOT}/contacts/${contactId}/notes/${await w.comment(author, contactId)}`;
  };
  add(
    `${method} ${CHATWOOT}/contacts/:id/notes/:note_id`,
    recipe(
      async (w, role) => ({ path: await of(w, role), json }),
      // Only its author or an administrator: a role refusal, which is 401 on this face.
      async (w) => ({ path: await of(w, "administrator"), json, status: 401 }),
    ),
  );
}
add(
  `POST ${CHATWOOT}/actions/contact_merge`,
  recipe(
    async (w) => ({
      path: `${CHATWOOT}/actions/contact_merge`,
      json: { base_contact_id: Number((await w.contact()).id), mergee_contact_id: Number((await w.contact()).id) },
      foreign: 404,
    }),
    async (w) => {
      const json = {
        base_contact_id: Number((await w.contact()).id),
        mergee_contact_id: Number((await w.contact()).id),
      };
      return { path: `${CHATWOOT}/actions/contact_merge`, json, status: 401, cleanup: await w.withdrawMerging() };
    },
  ),
);

// LiveDesk.
add(`GET ${LIVEDESK}`, fixed(`${LIVEDESK}?page_size=200`));

// iMBRACE.
add(`GET ${IMBRACE}/contacts`, fixed(`${IMBRACE}/contacts?limit=200`));
add(
  `GET ${IMBRACE}/contacts/_search`,
  recipe(async (w) => ({ path: `${IMBRACE}/contacts/_search?q=${q(w.mark)}` })),
);
add(`GET ${IMBRACE}/contacts/_export_csv`, fixed(`${IMBRACE}/contacts/_export_csv`));
add(
  `GET ${IMBRACE}/contacts/:id`,
  recipe(async (w) => ({ path: `${IMBRACE}/contacts/${(await w.sharedContact()).id}` })),
);
add(
  `PUT ${IMBRACE}/contacts/:id`,
  recipe(async (w) => ({ path: `${IMBRACE}/contacts/${(await w.contact()).id}`, json: { name: "Changed" } })),
);
for (const tail of ["conversations", "comments"]) {
  add(
    `GET ${IMBRACE}/contacts/:id/${tail}`,
    recipe(async (w) => ({ path: `${IMBRACE}/contacts/${(await w.sharedContact()).id}/${tail}` })),
  );
}
add(
  `GET ${IMBRACE}/contact/:id/files`,
  recipe(async (w) => ({ path: `${IMBRACE}/contact/${(await w.sharedContact()).id}/files` })),
);
add(
  `GET ${IMBRACE}/contact/:id/files/:fileId/download`,
  recipe(async (w) => {
    const file = await w.sharedFile();
    return { path: `${IMBRACE}/contact/${file.contactId}/files/${file.id}/download` };
  }),
);
add(
  `GET ${IMBRACE}/conversations_activities/:id`,
  recipe(async (w) => ({ path: `${IMBRACE}/conversations_activities/${await w.sharedConversation()}` })),
);
add(`POST ${IMBRACE}/contacts/_fileupload`, fixed(`${IMBRACE}/contacts/_fileupload`, { form: [avatarPart()] }));
add(`GET ${IMBRACE}/notifications`, fixed(`${IMBRACE}/notifications?limit=200`));
for (const [method, tail] of [
  ["PUT", "read"],
  ["DELETE", "dismiss"],
] as const) {
  add(
    `${method} ${IMBRACE}/notifications/${tail}`,
    recipe(
      async (w, role) => ({
        path: `${IMBRACE}/notifications/${tail}`,
        json: { notification_id: [await w.notification(role)] },
        foreign: 404,
      }),
      async (w) => ({
        path: `${IMBRACE}/notifications/${tail}`,
        json: { notification_id: [await w.notification("administrator")] },
        status: 404,
      }),
    ),
  );
}
add(`DELETE ${IMBRACE}/notifications/dismiss/all`, fixed(`${IMBRACE}/notifications/dismiss/all`));

/** The recipe for a route; a HEAD twin is asked like its GET. */
export function recipeFor(route: Route): Recipe | undefined {
  return RECIPES[routeKey(route)] ?? (route.method === "HEAD" ? RECIPES[`GET ${route.url}`] : undefined);
}

/** Recipes that name no registered route: left behind when a route went away. */
export function staleRecipes(routes: Route[]): string[] {
  const known = new Set(routes.map(routeKey));
  return Object.keys(RECIPES).filter((key) => !known.has(key));
}

// ---- Who may call a route, as documented --------------------------------------------------------

/**
 * `administrators`: agents are refused. `others`: agents may act for themselves, only
 * administrators for another user (followers).
 */
export type Restriction = "administrators" | "others";

/** The summary of each native route in the API document, by `METHOD url` (HEAD twins as their GET). */
export async function nativeSummaries(server: TestServer): Promise<Map<string, string>> {
  const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { summary?: string }>>;
  };
  const summaries = new Map<string, string>();
  for (const [path, operations] of Object.entries(spec.paths)) {
    const url = path.replace(/\{(\w+)\}/g, ":$1");
    for (const [method, operation] of Object.entries(operations)) {
      summaries.set(`${method.toUpperCase()} ${url}`, operation.summary ?? "");
      if (method === "get") summaries.set(`HEAD ${url}`, operation.summary ?? "");
    }
  }
  return summaries;
}

/** The Chatwoot routes docs/faces/chatwoot.md lists as for administrators only (its "who" column). */
export async function chatwootAdministratorRoutes(): Promise<Set<string>> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(new URL("../../../docs/faces/chatwoot.md", import.meta.url), "utf8");
  const routes = new Set<string>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length < 5 || cells[3] !== "administrators") continue;
    const request = (cells[1] ?? "").replace(/`/g, "");
    const path = /\/\S+/.exec(request)?.[0]?.replace(/\?.*/, "");
    for (const method of request.match(/\b(GET|POST|PUT|PATCH|DELETE)\b/g) ?? []) {
      routes.add(`${method} ${CHATWOOT}${path}`);
      if (method === "GET") routes.add(`HEAD ${CHATWOOT}${path}`);
    }
  }
  return routes;
}

/**
 * What the documentation says of a route: a native summary with "(administrators)" (and "(me)" for
 * routes agents may use for themselves), and Chatwoot's "who" column.
 */
export function restrictionOf(
  route: Route,
  summaries: Map<string, string>,
  chatwootAdministrators: Set<string>,
): Restriction | null {
  switch (faceOf(route)) {
    case "native": {
      const summary = summaries.get(routeKey(route));
      if (summary === undefined) throw new Error(`${routeKey(route)} is not in the API document`);
      if (summary.includes("(administrators)")) return summary.includes("(me)") ? "others" : "administrators";
      return null;
    }
    case "chatwoot":
      return chatwootAdministrators.has(routeKey(route)) ? "administrators" : null;
    default:
      return null;
  }
}
