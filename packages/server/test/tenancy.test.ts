import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

interface Route {
  method: string;
  path: string;
}

/** Every /v1 route, read from the API description that the route table generates. */
async function nativeRoutes(server: TestServer): Promise<Route[]> {
  const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, object> };
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
}

/** JSON bodies that would be valid if the records were the intruder's own. */
function bodyFor(route: Route, ids: Record<string, string>): unknown {
  const key = `${route.method} ${route.path}`;
  const bodies: Record<string, unknown> = {
    "POST /v1/contacts": { name: "Intruder", email: "owner@example.com" },
    "PATCH /v1/contacts/{id}": { name: "Hijacked" },
    "PUT /v1/contacts/{id}": { name: "Hijacked" },
    "PUT /v1/contacts/{id}/labels": { labels: ["stolen"] },
    "POST /v1/contacts/{id}/labels": { labels: ["stolen"] },
    "DELETE /v1/contacts/{id}/labels": { labels: ["secret"] },
    "POST /v1/contacts/{id}/contact_inboxes": { inbox_id: ids.inbox, source_id: "stolen" },
    "POST /v1/contacts/{id}/comments": { text: "intruder was here" },
    "PATCH /v1/contacts/{id}/comments/{commentId}": { text: "Hijacked" },
    "POST /v1/users": { name: "Intruder", role: "agent" },
    "POST /v1/users/{id}/api_keys": {},
    "POST /v1/inboxes": { name: "Intruder inbox", channel_type: "Channel::Api" },
    "PATCH /v1/inboxes/{id}": { name: "Hijacked" },
    "POST /v1/conversations": { contact_id: ids.contact, inbox_id: ids.inbox },
    "PATCH /v1/conversations/{id}": { status: "resolved" },
    "POST /v1/notifications/read": {},
    "PUT /v1/contacts/{id}/followers/{userId}": {},
    "POST /v1/webhooks": { url: "http://127.0.0.1:9/intruder", events: ["*"] },
    "PATCH /v1/webhooks/{id}": { active: false, url: "http://127.0.0.1:9/hijacked" },
    "POST /v1/webhooks/{id}/rotate_secret": {},
    "POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry": {},
    "POST /v1/contacts/merge": { base_contact_id: ids.contact, mergee_contact_id: ids.otherContact },
    "PATCH /v1/account/settings": { agents_can_merge: false },
    "POST /v1/exports": { columns: ["name", "email"] },
    "POST /v1/contacts/upsert": { name: "Intruder", email: "owner@example.com" },
    "POST /v1/contacts/batch": {
      operations: [
        { op: "update", id: ids.contact, data: { name: "Hijacked" } },
        { op: "delete", id: ids.contact },
        { op: "upsert", data: { name: "Intruder", email: "owner@example.com" } },
      ],
    },
  };
  return bodies[key];
}

const MULTIPART = /\/(files|avatar|uploads|imports)$/;

function pathFor(route: Route, ids: Record<string, string>): string {
  const id = route.path.startsWith("/v1/users")
    ? ids.user
    : route.path.startsWith("/v1/api_keys")
      ? ids.apiKey
      : route.path.startsWith("/v1/inboxes")
        ? ids.inbox
        : route.path.startsWith("/v1/conversations")
          ? ids.conversation
          : route.path.startsWith("/v1/webhooks")
            ? ids.webhook
            : route.path.startsWith("/v1/imports")
              ? ids.import
              : route.path.startsWith("/v1/exports")
                ? ids.export
                : ids.contact;
  const query = route.path.endsWith("/search")
    ? "?q=owner"
    : route.path.endsWith("/lookup")
      ? "?email=owner%40example.com"
      : "";
  return `${route.path
    .replace("{id}", id as string)
    .replace("{commentId}", ids.comment as string)
    .replace("{fileId}", ids.file ?? "1")
    .replace("{userId}", ids.user as string)
    .replace("{deliveryId}", ids.delivery as string)}${query}`;
}

/** A live stream answers for the caller's own account: read it until it is live, then hang up. */
async function openStream(url: string, authorization: string): Promise<{ status: number; body: string }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization }, signal: abort.signal });
  let body = "";
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  while (response.ok && !body.includes("event: ready")) {
    const { done, value } = await reader.read();
    if (done) break;
    body += decoder.decode(value, { stream: true });
  }
  abort.abort();
  return { status: response.status, body };
}

describe("tenancy: every route, another account's credentials", () => {
  let server: TestServer;
  let owner: Credentials;
  let intruder: Credentials;
  let ownerApi: ReturnType<typeof httpClient>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer();
    owner = await newAccount(server.db);
    intruder = await newAccount(server.db);
    ownerApi = httpClient(server.url, basicAuth(owner));
    ids.user = String(owner.userId);
    ids.apiKey = String(owner.keyId);
    ids.inbox = (await ownerApi("POST", "/v1/inboxes", { name: "Owner inbox", channel_type: "Channel::Api" })).body.id;
    const contact = await ownerApi("POST", "/v1/contacts", {
      name: "Owner's Secret Contact",
      email: "owner@example.com",
      identifier: "owner-1",
      labels: ["secret"],
      inbox_id: ids.inbox,
    });
    ids.contact = contact.body.id;
    ids.otherContact = (await ownerApi("POST", "/v1/contacts", { name: "Owner's Secret Twin" })).body.id;
    ids.conversation = (
      await ownerApi("POST", "/v1/conversations", { contact_id: ids.contact, inbox_id: ids.inbox })
    ).body.id;
    ids.webhook = (
      await ownerApi("POST", "/v1/webhooks", { url: "http://127.0.0.1:9/owner-1", events: ["*"] })
    ).body.id;
    ids.comment = (
      await ownerApi("POST", `/v1/contacts/${ids.contact}/comments`, { text: "Owner's Secret note" })
    ).body.id;
    const form = new FormData();
    form.append("file", new Blob(["name,email\nOwner's Secret Import,owner-import@example.com\n"]), "owner.csv");
    const started = await fetch(`${server.url}/v1/imports`, {
      method: "POST",
      headers: { authorization: basicAuth(owner) },
      body: form,
    });
    ids.import = ((await started.json()) as { id: string }).id;
    await server.core.imports.runDue({ accountId: owner.accountId });
    ids.export = (await ownerApi("POST", "/v1/exports", { columns: ["name", "identifier"] })).body.id;
    await server.core.exports.runDue({ accountId: owner.accountId });
    await server.core.events.dispatchAll();
    ids.delivery = (await ownerApi("GET", `/v1/webhooks/${ids.webhook}/deliveries?limit=1`)).body.data[0].id;
  });
  afterAll(() => server.close());

  it("knows a body for every JSON write route", async () => {
    const routes = await nativeRoutes(server);
    expect(routes.length).toBeGreaterThanOrEqual(30);
    for (const route of routes) {
      if (["POST", "PUT", "PATCH"].includes(route.method) && !MULTIPART.test(route.path)) {
        expect(bodyFor(route, ids), `${route.method} ${route.path}`).toBeDefined();
      }
    }
  });

  it("never answers with, or changes, the owner's data", async () => {
    const intruderAuth = basicAuth(intruder);
    const intruderApi = httpClient(server.url, intruderAuth);
    const snapshot = async () => [
      (await ownerApi("GET", `/v1/contacts/${ids.contact}?include_contact_inboxes=true`)).body,
      (await ownerApi("GET", `/v1/conversations/${ids.conversation}`)).body,
      (await ownerApi("GET", `/v1/contacts/${ids.contact}/comments`)).body,
      (await ownerApi("GET", `/v1/inboxes/${ids.inbox}`)).body,
      (await ownerApi("GET", `/v1/contacts/${ids.otherContact}`)).body,
      (await ownerApi("GET", "/v1/account/settings")).body,
      (await ownerApi("GET", `/v1/imports/${ids.import}`)).body,
      (await ownerApi("GET", `/v1/exports/${ids.export}`)).body,
      (await ownerApi("GET", `/v1/contacts/${ids.contact}/followers`)).body,
      (await ownerApi("GET", `/v1/webhooks/${ids.webhook}`)).body,
      (await ownerApi("GET", `/v1/webhooks/${ids.webhook}/deliveries/${ids.delivery}/attempts`)).body,
    ];
    const before = await snapshot();
    for (const route of await nativeRoutes(server)) {
      const path = pathFor(route, ids);
      let res: { status: number; body: unknown };
      if (route.path.endsWith("/stream")) {
        res = await openStream(`${server.url}${path}`, intruderAuth);
      } else if (MULTIPART.test(route.path) && route.method !== "GET" && route.method !== "DELETE") {
        const form = new FormData();
        form.append("file", new Blob([Uint8Array.from([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" }), "x.png");
        const response = await fetch(`${server.url}${path}`, {
          method: route.method,
          headers: { authorization: intruderAuth },
          body: form,
        });
        res = { status: response.status, body: await response.text() };
      } else {
        res = await intruderApi(route.method, path, bodyFor(route, ids));
      }
      const label = `${route.method} ${route.path} → ${res.status}`;
      expect(res.status, label).toBeLessThan(500);
      const text = JSON.stringify(res.body);
      expect(text, label).not.toContain("Owner's Secret");
      expect(text, label).not.toContain("owner-1");
      if (/\{(id|commentId|fileId)\}/.test(route.path)) {
        expect(res.status, label).toBe(404);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});
