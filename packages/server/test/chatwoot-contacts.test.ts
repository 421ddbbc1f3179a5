import { describe, expect, it } from "vitest";
import { type Credentials, httpClient, newAccount, useServer } from "./harness.js";

/**
 * The Chatwoot face's contact routes, driven by the requests real clients send (reference/clients.md):
 * figuro (axios: Bearer + api_access_token, PUT), the Python SDK (httpx: api_access_token and a JSON
 * content type on every request, PATCH) and n8n (Api-Access-Token, defaults sent as "" and page=0).
 */

const fixture = useServer();

const figuroHeaders = (token: string) => ({
  accept: "application/json",
  authorization: `Bearer ${token}`,
  api_access_token: token,
  "user-agent": "axios/0.27.2",
});
const pythonHeaders = (token: string) => ({
  accept: "*/*",
  api_access_token: token,
  "content-type": "application/json",
  "user-agent": "python-httpx/0.28.1",
});
const n8nHeaders = (token: string) => ({
  accept: "application/json",
  "content-type": "application/json",
  "Api-Access-Token": token,
});

function call(headers: Record<string, string>) {
  return (method: string, path: string, body?: unknown) => httpClient(fixture.server.url)(method, path, body, headers);
}

function asAdmin(headers: (token: string) => Record<string, string> = pythonHeaders) {
  return call(headers(fixture.admin.token));
}

const base = () => `/api/v1/accounts/${fixture.admin.accountId}`;

async function newInbox(credentials: Credentials, channelType = "Channel::Api", name = "API inbox") {
  const actor = {
    accountId: credentials.accountId,
    userId: credentials.userId,
    role: "administrator" as const,
    credentialId: credentials.keyId,
  };
  return fixture.server.core.inboxes.create(actor, { name, channelType });
}

/** What the Python SDK's pydantic models accept (clients.md §2.5–2.7); throws on what they reject. */
function expectPythonContact(contact: Record<string, unknown>) {
  expect(Number.isInteger(contact.id)).toBe(true);
  for (const key of ["name", "email", "phone_number", "identifier", "thumbnail", "avatar_url"]) {
    if (key in contact && contact[key] !== null) expect(typeof contact[key]).toBe("string");
  }
  for (const key of ["additional_attributes", "custom_attributes"]) {
    expect(contact[key]).toBeTypeOf("object");
    expect(contact[key]).not.toBeNull();
    expect(Array.isArray(contact[key])).toBe(false);
  }
  expect(typeof contact.blocked).toBe("boolean");
  for (const key of ["last_activity_at", "created_at"]) {
    if (key in contact) expect(Number.isInteger(contact[key])).toBe(true);
  }
  if ("contact_inboxes" in contact) {
    expect(Array.isArray(contact.contact_inboxes)).toBe(true);
    for (const item of contact.contact_inboxes as Array<Record<string, any>>) expectContactInbox(item);
  }
}

function expectContactInbox(item: Record<string, any>) {
  expect(typeof item.source_id).toBe("string");
  expect(Number.isInteger(item.inbox.id)).toBe(true);
  expect(Number.isInteger(item.inbox.channel_id)).toBe(true);
  expect(typeof item.inbox.name).toBe("string");
  expect(typeof item.inbox.channel_type).toBe("string");
}

describe("Chatwoot face: status and authentication", () => {
  it("answers GET /api without a token (n8n's credential test)", async () => {
    const res = await httpClient(fixture.server.url)("GET", "/api", undefined, { accept: "application/json" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: expect.any(String), queue_services: "ok", data_services: "ok" });
    expect(res.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it("takes the token from api_access_token and from Api-Access-Token", async () => {
    expect((await asAdmin(pythonHeaders)("GET", `${base()}/contacts?page=1`)).status).toBe(200);
    expect((await asAdmin(n8nHeaders)("GET", `${base()}/contacts?sort=name&page=1`)).status).toBe(200);
  });

  it("ignores an Authorization header: neither needed nor a reason to refuse", async () => {
    expect((await asAdmin(figuroHeaders)("GET", `${base()}/contacts?page=1`)).status).toBe(200);
    const basicJunk = call({ authorization: "Basic !!!not-base64", api_access_token: fixture.admin.token });
    expect((await basicJunk("GET", `${base()}/contacts`)).status).toBe(200);
    const bearerOnly = call({ authorization: `Bearer ${fixture.admin.token}` });
    const res = await bearerOnly("GET", `${base()}/contacts`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "Invalid Access Token" });
  });

  it("refuses a missing or wrong token with 401 {error}", async () => {
    const none = await httpClient(fixture.server.url)("GET", `${base()}/contacts`);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: "Invalid Access Token" });
    const wrong = await call({ api_access_token: `${fixture.admin.key}.wrong-secret` })("GET", `${base()}/contacts`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: "Invalid Access Token" });
  });

  it("refuses another account's id in the path with 401", async () => {
    const other = await newAccount(fixture.server.db);
    for (const path of [`/api/v1/accounts/${other.accountId}/contacts`, "/api/v1/accounts/abc/contacts"]) {
      const res = await asAdmin()("GET", path);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: "You are not authorized to access this account" });
    }
  });

  it("answers unknown routes under an account with 404 {error}", async () => {
    const res = await asAdmin()("GET", `${base()}/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "Resource could not be found" });
  });

  it("keeps its routes out of the API document", async () => {
    const spec = (await (await fetch(`${fixture.server.url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(spec.paths).filter((path) => path.startsWith("/api"))).toEqual([]);
  });
});

describe("Chatwoot face: figuro's requests", () => {
  it("creates, lists, searches, filters, updates with PUT, attaches an inbox and deletes", async () => {
    const inbox = await newInbox(fixture.admin);
    const figuro = asAdmin(figuroHeaders);
    const stamp = Date.now();
    const email = `figuro-smoke-${stamp}@example.com`;
    const created = await figuro("POST", `${base()}/contacts`, {
      inbox_id: inbox.id,
      name: `Figuro Smoke ${stamp}`,
      email,
      phone_number: "+15550001001",
      identifier: `figuro-${stamp}`,
      custom_attributes: { smoke: "figuro", tier: 1 },
    });
    expect(created.status).toBe(200);
    const { contact, contact_inbox } = created.body.payload;
    expectPythonContact(contact);
    expect(contact).toMatchObject({
      name: `Figuro Smoke ${stamp}`,
      email,
      phone_number: "+15550001001",
      identifier: `figuro-${stamp}`,
      thumbnail: "",
      blocked: false,
      availability_status: "offline",
      additional_attributes: {},
      custom_attributes: { smoke: "figuro", tier: 1 },
    });
    expect(contact).not.toHaveProperty("last_activity_at");
    expect(contact.contact_inboxes).toHaveLength(1);
    expect(contact_inbox.source_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(contact_inbox.inbox).toEqual({
      id: inbox.id,
      avatar_url: "",
      channel_id: inbox.id,
      name: "API inbox",
      channel_type: "Channel::Api",
      provider: null,
    });

    const sorted = await figuro("GET", `${base()}/contacts?sort=-last_activity_at&page=1`);
    expect(sorted.status).toBe(200);
    expect(sorted.body.meta).toEqual({ count: expect.any(Number), current_page: "1" });
    expect((await figuro("GET", `${base()}/contacts?page=1`)).body.payload.map((c: any) => c.id)).toContain(contact.id);

    const byEmail = await figuro("GET", `${base()}/contacts/search?q=${encodeURIComponent(email)}&page=1`);
    expect(byEmail.body.payload.map((c: any) => c.id)).toEqual([contact.id]);
    const byName = await figuro(
      "GET",
      `${base()}/contacts/search?q=${encodeURIComponent(`Figuro Smoke ${stamp}`)}&sort=name&page=1`,
    );
    expect(byName.body.payload.map((c: any) => c.id)).toEqual([contact.id]);

    const filtered = await figuro("POST", `${base()}/contacts/filter?page=1`, {
      payload: [{ attribute_key: "email", filter_operator: "equal_to", values: [email] }],
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body.meta).toEqual({ count: 1, current_page: "1" });
    expect(filtered.body.payload[0].id).toBe(contact.id);

    const updated = await figuro("PUT", `${base()}/contacts/${contact.id}`, {
      name: `Figuro Smoke ${stamp} updated`,
      custom_attributes: { smoke: "figuro-updated" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.payload).toMatchObject({
      id: contact.id,
      name: `Figuro Smoke ${stamp} updated`,
      custom_attributes: { smoke: "figuro-updated", tier: 1 },
    });
    expect(updated.body.payload.contact_inboxes).toHaveLength(1);

    const attached = await figuro("POST", `${base()}/contacts/${contact.id}/contact_inboxes`, {
      inbox_id: inbox.id,
      source_id: `figuro-src-${stamp}`,
    });
    expect(attached.status).toBe(200);
    expect(attached.body).toEqual({ source_id: `figuro-src-${stamp}`, inbox: contact_inbox.inbox });

    const deleted = await figuro("DELETE", `${base()}/contacts/${contact.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toBeUndefined();
    expect((await figuro("GET", `${base()}/contacts/${contact.id}`)).status).toBe(404);
  });
});

describe("Chatwoot face: the Python SDK's requests", () => {
  it("creates, gets, updates with PATCH, lists, searches, labels, merges and deletes", async () => {
    const inbox = await newInbox(fixture.admin);
    const py = asAdmin(pythonHeaders);
    const stamp = Date.now();
    const email = `py-smoke-${stamp}@example.com`;
    const created = await py("POST", `${base()}/contacts`, {
      inbox_id: inbox.id,
      name: `Py Smoke ${stamp}`,
      email,
      phone_number: "+15550002002",
      identifier: `py-${stamp}`,
      custom_attributes: { smoke: "py", tier: 1 },
    });
    expect(created.status).toBe(200);
    expectPythonContact(created.body.payload.contact);
    expectContactInbox(created.body.payload.contact_inbox);
    const id = created.body.payload.contact.id;

    const got = await py("GET", `${base()}/contacts/${id}`);
    expect(got.status).toBe(200);
    expectPythonContact(got.body.payload);
    expect(got.body.payload.contact_inboxes).toHaveLength(1);

    const patched = await py("PATCH", `${base()}/contacts/${id}`, {
      name: `Py Smoke ${stamp} updated`,
      custom_attributes: { smoke: "py-updated" },
    });
    expect(patched.status).toBe(200);
    expectPythonContact(patched.body.payload);
    expect(patched.body.payload.custom_attributes).toEqual({ smoke: "py-updated", tier: 1 });

    const listed = await py("GET", `${base()}/contacts?page=1`);
    expect(Array.isArray(listed.body.payload)).toBe(true);
    for (const item of listed.body.payload) expectPythonContact(item);

    const found = await py("GET", `${base()}/contacts/search?q=${email.replace("@", "%40")}`);
    expect(found.status).toBe(200);
    expect(found.body.payload.map((c: any) => c.id)).toEqual([id]);
    expect(found.body.meta).toEqual({ count: 1, current_page: 1, has_more: false });

    const labelled = await py("POST", `${base()}/contacts/${id}/labels`, { labels: ["smoke-vip", "smoke-test"] });
    expect(labelled.status).toBe(200);
    expect([...labelled.body.payload].sort()).toEqual(["smoke-test", "smoke-vip"]);

    const mergee = (await py("POST", `${base()}/contacts`, { inbox_id: inbox.id, name: `Py Mergee ${stamp}` })).body
      .payload.contact;
    const merged = await py("POST", `${base()}/actions/contact_merge`, {
      base_contact_id: id,
      mergee_contact_id: mergee.id,
    });
    expect(merged.status).toBe(200);
    expectPythonContact(merged.body);
    expect(merged.body).not.toHaveProperty("payload");
    expect(merged.body.id).toBe(id);

    const deleted = await py("DELETE", `${base()}/contacts/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toBeUndefined();
  });

  it("decodes + in the query as a space", async () => {
    const py = asAdmin(pythonHeaders);
    const john = (await py("POST", `${base()}/contacts`, { name: "John Doe", email: "jdoe@example.com" })).body.payload
      .contact;
    const plus = (await py("POST", `${base()}/contacts`, { name: "Plus+Sign", email: "plus+sign@example.com" })).body
      .payload.contact;
    const ids = async (q: string) =>
      (await py("GET", `${base()}/contacts/search?q=${q}`)).body.payload.map((c: { id: number }) => c.id);
    expect(await ids("John+Doe")).toEqual([john.id]);
    expect(await ids("plus+sign")).toEqual([]);
    expect(await ids("plus%2Bsign%40example.com")).toEqual([plus.id]);
  });
});

describe("Chatwoot face: n8n's requests", () => {
  it("treats blank fields as no value on create and as a cleared value on update", async () => {
    const inbox = await newInbox(fixture.admin);
    const n8n = asAdmin(n8nHeaders);
    const created = await n8n("POST", `${base()}/contacts`, {
      inbox_id: String(inbox.id),
      name: "N8n Person",
      email: "",
      phone_number: "",
      avatar: "",
      avatar_url: "",
      identifier: "",
      custom_attributes: {},
    });
    expect(created.status).toBe(200);
    const contact = created.body.payload.contact;
    expect(contact).toMatchObject({ name: "N8n Person", email: null, phone_number: null, identifier: null });
    expect(created.body.payload.contact_inbox.source_id).toEqual(expect.any(String));

    const withEmail = await n8n("PUT", `${base()}/contacts/${contact.id}`, { email: "n8n@example.com" });
    expect(withEmail.body.payload.email).toBe("n8n@example.com");
    const cleared = await n8n("PUT", `${base()}/contacts/${contact.id}`, {
      name: "N8n Person",
      email: "",
      phone_number: "",
      avatar: "",
      avatar_url: "",
      identifier: "",
      custom_attributes: {},
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.payload).toMatchObject({ name: "N8n Person", email: null, phone_number: null });
  });

  it("answers search with q left blank with Chatwoot's 422", async () => {
    for (const query of ["q=&sort=name&page=1", "sort=name&page=1", "q=+++"]) {
      const res = await asAdmin(n8nHeaders)("GET", `${base()}/contacts/search?${query}`);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: "Specify search string with parameter q" });
    }
  });

  it("reads page=0 on filter as the first page and echoes it", async () => {
    const res = await asAdmin(n8nHeaders)("POST", `${base()}/contacts/filter?page=0`, {
      payload: [{ attribute_key: "name", filter_operator: "contains", values: ["n8n"], query_operator: null }],
    });
    expect(res.status).toBe(200);
    expect(res.body.meta.current_page).toBe("0");
    expect(res.body.payload.length).toBeGreaterThan(0);
  });
});

describe("Chatwoot face: listing", () => {
  it("pages 15 at a time, counts every contact, and keeps a stable order without sort", async () => {
    const account = await newAccount(fixture.server.db);
    const api = call(pythonHeaders(account.token));
    const path = `/api/v1/accounts/${account.accountId}/contacts`;
    // A contact with only a name is listed (Chatwoot would hide it).
    for (let i = 0; i < 17; i++) await api("POST", path, { name: `Only a name ${i}` });
    const first = await api("GET", path);
    expect(first.body.meta).toEqual({ count: 17, current_page: 1 });
    expect(first.body.payload).toHaveLength(15);
    const second = await api("GET", `${path}?page=2`);
    expect(second.body.meta).toEqual({ count: 17, current_page: "2" });
    expect(second.body.payload).toHaveLength(2);
    const ids = [...first.body.payload, ...second.body.payload].map((c: any) => c.id);
    expect(new Set(ids).size).toBe(17);
    expect((await api("GET", path)).body.payload.map((c: any) => c.id)).toEqual(ids.slice(0, 15));
    expect((await api("GET", `${path}?page=junk`)).body.meta.current_page).toBe("junk");
    expect((await api("GET", `${path}?page=junk`)).body.payload.map((c: any) => c.id)).toEqual(ids.slice(0, 15));
  });

  it("sorts by the first known key of a sort list, descending with -", async () => {
    const account = await newAccount(fixture.server.db);
    const api = call(pythonHeaders(account.token));
    const path = `/api/v1/accounts/${account.accountId}/contacts`;
    for (const name of ["bravo", "Alpha", "charlie"]) await api("POST", path, { name });
    const names = async (query: string) => (await api("GET", `${path}?${query}`)).body.payload.map((c: any) => c.name);
    expect(await names("sort=name")).toEqual(["Alpha", "bravo", "charlie"]);
    expect(await names("sort=-name")).toEqual(["charlie", "bravo", "Alpha"]);
    expect(await names("sort=unknown,-name,email")).toEqual(["charlie", "bravo", "Alpha"]);
    expect(await names("sort=nonsense")).toHaveLength(3);
  });

  it("filters by labels[] and labels, any of them", async () => {
    const account = await newAccount(fixture.server.db);
    const api = call(pythonHeaders(account.token));
    const path = `/api/v1/accounts/${account.accountId}/contacts`;
    const ids: number[] = [];
    for (const labels of [["vip"], ["lead"], []]) {
      const id = (await api("POST", path, { name: "L" })).body.payload.contact.id;
      await api("POST", `${path}/${id}/labels`, { labels });
      ids.push(id);
    }
    const listed = async (query: string) =>
      (await api("GET", `${path}?${query}`)).body.payload.map((c: any) => c.id).sort();
    expect(await listed("labels[]=vip")).toEqual([ids[0]]);
    expect(await listed("labels[]=vip&labels[]=lead")).toEqual([ids[0], ids[1]].sort());
    expect(await listed("labels=lead")).toEqual([ids[1]]);
    expect((await api("GET", `${path}?labels[]=vip`)).body.meta.count).toBe(1);
  });

  it("includes contact_inboxes unless include_contact_inboxes is anything but true", async () => {
    const id = (await asAdmin()("POST", `${base()}/contacts`, { name: "Inboxes" })).body.payload.contact.id;
    const has = async (query: string) => {
      const listed = (await asAdmin()("GET", `${base()}/contacts?${query}`)).body.payload[0];
      const shown = (await asAdmin()("GET", `${base()}/contacts/${id}?${query}`)).body.payload;
      expect("contact_inboxes" in listed).toBe("contact_inboxes" in shown);
      return "contact_inboxes" in shown;
    };
    expect(await has("")).toBe(true);
    expect(await has("include_contact_inboxes=true")).toBe(true);
    expect(await has("include_contact_inboxes=false")).toBe(false);
    expect(await has("include_contact_inboxes=1")).toBe(false);
  });
});

describe("Chatwoot face: errors", () => {
  it("answers a taken email, a bad phone and a long name in Rails' record-error shape", async () => {
    const api = asAdmin();
    await api("POST", `${base()}/contacts`, { name: "Taken", email: "taken@example.com" });
    const taken = await api("POST", `${base()}/contacts`, { email: "TAKEN@example.com" });
    expect(taken.status).toBe(422);
    expect(taken.body).toEqual({ message: "Email has already been taken", attributes: ["email"] });
    const phone = await api("POST", `${base()}/contacts`, { phone_number: "555 0100" });
    expect(phone.status).toBe(422);
    expect(phone.body).toEqual({ message: "Phone number should be in e164 format", attributes: ["phone_number"] });
    const both = await api("POST", `${base()}/contacts`, { name: "x".repeat(256), phone_number: "12" });
    expect(both.status).toBe(422);
    expect(both.body).toEqual({
      message: "Name is too long (maximum is 255 characters), Phone number should be in e164 format",
      attributes: ["name", "phone_number"],
    });
  });

  it("answers a body of the wrong shape with 422 in the same shape, never 5xx", async () => {
    const res = await asAdmin()("POST", `${base()}/contacts`, { name: "Shape", custom_attributes: "not a hash" });
    expect(res.status).toBe(422);
    expect(res.body.attributes).toEqual(["custom_attributes"]);
    expect(res.body.message).toMatch(/^Custom attributes /);
    const blocked = await asAdmin()("POST", `${base()}/contacts`, { name: "Shape", blocked: "sometimes" });
    expect(blocked.status).toBe(422);
    expect(blocked.body.attributes).toEqual(["blocked"]);
    const malformed = await asAdmin()("POST", `${base()}/contacts`, "{not json");
    expect(malformed.status).toBe(400);
    expect(typeof malformed.body.error).toBe("string");
  });

  it("takes an update with an empty JSON body as no change", async () => {
    const id = (await asAdmin()("POST", `${base()}/contacts`, { name: "Unchanged" })).body.payload.contact.id;
    const res = await asAdmin()("PATCH", `${base()}/contacts/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.payload).toMatchObject({ id, name: "Unchanged" });
  });

  it("coerces string ids and ignores unknown keys", async () => {
    const inbox = await newInbox(fixture.admin);
    const res = await asAdmin()("POST", `${base()}/contacts`, {
      inbox_id: String(inbox.id),
      name: 12345,
      blocked: "true",
      something_else: { nested: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.payload.contact).toMatchObject({ name: "12345", blocked: true });
    expect(res.body.payload.contact_inbox.inbox.id).toBe(inbox.id);
  });

  it("answers 401 to an agent deleting, and lets an agent do the rest", async () => {
    const id = (await asAdmin()("POST", `${base()}/contacts`, { name: "Agent target" })).body.payload.contact.id;
    const agent = call(pythonHeaders(fixture.agent.token));
    const res = await agent("DELETE", `${base()}/contacts/${id}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "You are not authorized to do this action" });
    expect((await agent("PATCH", `${base()}/contacts/${id}`, { name: "By agent" })).status).toBe(200);
    expect((await agent("GET", `${base()}/contacts/${id}`)).body.payload.name).toBe("By agent");
  });

  it("answers 404 for another account's contact, a merged-away id and a non-numeric id", async () => {
    const other = await newAccount(fixture.server.db);
    const otherApi = call(pythonHeaders(other.token));
    const foreign = (
      await otherApi("POST", `/api/v1/accounts/${other.accountId}/contacts`, { name: "Foreign", email: "f@x.io" })
    ).body.payload.contact.id;
    const api = asAdmin();
    for (const [method, suffix] of [
      ["GET", ""],
      ["PUT", ""],
      ["PATCH", ""],
      ["DELETE", ""],
    ] as const) {
      const res = await api(method, `${base()}/contacts/${foreign}${suffix}`, method === "GET" ? undefined : {});
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "Resource could not be found" });
    }
    expect((await otherApi("GET", `/api/v1/accounts/${other.accountId}/contacts/${foreign}`)).status).toBe(200);

    const kept = (await api("POST", `${base()}/contacts`, { name: "Kept" })).body.payload.contact.id;
    const gone = (await api("POST", `${base()}/contacts`, { name: "Gone" })).body.payload.contact.id;
    await api("POST", `${base()}/actions/contact_merge`, { base_contact_id: kept, mergee_contact_id: gone });
    const merged = await api("GET", `${base()}/contacts/${gone}`);
    expect(merged.status).toBe(404);
    expect(merged.body).toEqual({ error: "Resource could not be found" });
    expect((await api("GET", `${base()}/contacts/abc`)).status).toBe(404);
  });
});
