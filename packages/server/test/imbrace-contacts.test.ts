import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAccount, type TestServer, useServer } from "./harness.js";

/**
 * The iMBRACE face as `@imbrace/sdk`'s `client.contacts` calls it: `x-api-key` and the paths,
 * query strings and bodies the SDK sends under `{base}/channel-service/v1`.
 */

const fixture = useServer();
let server: TestServer;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A client sending what the SDK sends: the token in x-api-key, JSON bodies. */
function sdkClient(token: string) {
  const raw = httpClient(fixture.server.url);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    raw(method, `/channel-service/v1${path}`, body, { "x-api-key": token, ...headers });
}

/** A fresh account with native (setup) and iMBRACE clients. */
async function account() {
  const admin = await newAccount(server.db);
  return { admin, native: httpClient(server.url, basicAuth(admin)), sdk: sdkClient(admin.token) };
}

async function createContact(native: ReturnType<typeof httpClient>, body: Record<string, unknown>): Promise<string> {
  const created = await native("POST", "/v1/contacts", body);
  expect(created.status).toBe(201);
  return created.body.id;
}

beforeAll(() => {
  server = fixture.server;
});

describe("credentials", () => {
  let admin: Credentials;
  let contactId: string;

  beforeAll(async () => {
    admin = fixture.admin;
    contactId = await createContact(fixture.api, { name: "Keyed" });
  });

  const get = (headers: Record<string, string>) =>
    httpClient(server.url)("GET", `/channel-service/v1/contacts/${contactId}`, undefined, headers);

  it("takes the token in x-api-key, x-access-token or Authorization: Bearer", async () => {
    const variants: Array<Record<string, string>> = [
      { "x-api-key": admin.token },
      { "x-access-token": admin.token },
      { authorization: `Bearer ${admin.token}` },
      { authorization: `Bearer ${admin.token}`, "x-organization-id": String(admin.accountId) },
    ];
    for (const headers of variants) {
      const answer = await get(headers);
      expect(answer.status, JSON.stringify(Object.keys(headers))).toBe(200);
      expect(answer.body.id).toBe(contactId);
    }
  });

  it("answers 401 without a key, with a wrong one and with a revoked one, in iMBRACE's error body", async () => {
    const missing = await get({});
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      message: expect.stringContaining("x-api-key"),
      code: "unauthenticated",
      request_id: missing.headers.get("x-request-id"),
    });
    expect((await get({ "x-api-key": `${admin.key}.wrong-secret` })).status).toBe(401);
    expect((await get({ "x-api-key": "acc_f7124766-e633-429c-b24a-ab0421a202e3" })).status).toBe(401);

    const issued = await fixture.api("POST", `/v1/users/${admin.userId}/api_keys`, { name: "to revoke" });
    expect((await get({ "x-api-key": issued.body.token })).status).toBe(200);
    expect((await fixture.api("DELETE", `/v1/api_keys/${issued.body.id}`)).status).toBe(200);
    const revoked = await get({ "x-api-key": issued.body.token });
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe("unauthenticated");
  });

  it("answers 403 when x-organization-id names another organization", async () => {
    const other = await newAccount(server.db);
    const answer = await get({ authorization: `Bearer ${admin.token}`, "x-organization-id": String(other.accountId) });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: "forbidden", request_id: expect.any(String) });
  });

  it("stays out of the OpenAPI document", async () => {
    const paths = Object.keys((await httpClient(server.url)("GET", "/openapi.json")).body.paths);
    expect(paths).toContain("/v1/contacts");
    expect(paths.filter((path) => path.startsWith("/channel-service"))).toEqual([]);
  });

  it("answers unknown routes under the face with its own 404 body", async () => {
    const answer = await sdkClient(admin.token)("GET", `/contacts/${contactId}/tickets`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: "route_not_found", request_id: expect.any(String) });
  });
});

describe("list", () => {
  let sdk: ReturnType<typeof sdkClient>;
  let admin: Credentials;
  const ids: string[] = [];

  beforeAll(async () => {
    const created = await account();
    ({ sdk, admin } = created);
    for (const name of ["Ann", "Bob", "Cy"]) ids.push(await createContact(created.native, { name }));
  });

  it("pages with limit and skip in iMBRACE's envelope: count is the grand total, total the page's size", async () => {
    const first = await sdk("GET", "/contacts?limit=2&skip=0&sort=-created_at");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object_name: "list", has_more: true, count: 3, total: 2 });
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const last = await sdk("GET", "/contacts?limit=2&skip=2&sort=-created_at");
    expect(last.body).toMatchObject({ has_more: false, count: 3, total: 1 });
    expect(last.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
  });

  it("renders the seed's contact schema: string ids, ISO 8601 times", async () => {
    const contact = (await sdk("GET", "/contacts?limit=1")).body.data[0];
    expect(contact).toMatchObject({
      object_name: "contact",
      id: ids[2],
      organization_id: String(admin.accountId),
      display_name: "Cy",
      email: null,
      phone_number: null,
      avatar_url: null,
    });
    expect(contact.created_at).toMatch(ISO);
    expect(contact.updated_at).toMatch(ISO);
  });

  it("sorts with a leading - for descending and none for ascending; an unknown key is a 400 naming it", async () => {
    const ascending = await sdk("GET", "/contacts?sort=created_at");
    expect(ascending.body.data.map((c: { id: string }) => c.id)).toEqual(ids);
    expect(ascending.body).toMatchObject({ count: 3, total: 3, has_more: false });
    const byName = await sdk("GET", "/contacts?sort=-display_name");
    expect(byName.body.data.map((c: { display_name: string }) => c.display_name)).toEqual(["Cy", "Bob", "Ann"]);
    const unknown = await sdk("GET", "/contacts?sort=-favourite_colour");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "invalid_sort", message: expect.stringContaining("favourite_colour") });
  });

  it("refuses a limit of 0 or past the maximum with the fields named", async () => {
    for (const limit of ["0", "201", "ten"]) {
      const answer = await sdk("GET", `/contacts?limit=${limit}`);
      expect(answer.status, limit).toBe(422);
      expect(answer.body).toMatchObject({
        code: "invalid_fields",
        details: [expect.objectContaining({ field: "limit" })],
      });
    }
    expect((await sdk("GET", "/contacts?skip=-1")).status).toBe(422);
  });
});

describe("get and update", () => {
  let sdk: ReturnType<typeof sdkClient>;
  let native: ReturnType<typeof httpClient>;
  let contactId: string;

  beforeAll(async () => {
    ({ sdk, native } = await account());
    contactId = await createContact(native, { name: "Alice", email: "alice@example.com" });
  });

  it("gets a contact; an id of another account, an unknown one or a foreign-looking one is a 404", async () => {
    const answer = await sdk("GET", `/contacts/${contactId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: contactId, display_name: "Alice", email: "alice@example.com" });
    const stranger = await account();
    for (const id of [contactId, "999999999", "con_66d67483-8982-43d6-acbe-139568688add"]) {
      const missing = await stranger.sdk("GET", `/contacts/${id}`);
      expect(missing.status, id).toBe(404);
      expect(missing.body).toMatchObject({ code: "contact_not_found", request_id: expect.any(String) });
    }
  });

  it("updates with the SDK's {name, email, phone} and returns the contact", async () => {
    const answer = await sdk("PUT", `/contacts/${contactId}`, {
      name: "Alice Nguyen",
      email: "Alice.N@Example.com",
      phone: "+84 912 345 678",
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: contactId,
      display_name: "Alice Nguyen",
      email: "alice.n@example.com",
      phone_number: "+84912345678",
    });
    expect(Date.parse(answer.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(answer.body.created_at));
    expect((await native("GET", `/v1/contacts/${contactId}`)).body).toMatchObject({ name: "Alice Nguyen" });
  });

  it("takes the service's own fields: first and last name, area code and phone_number; ignores the rest", async () => {
    const answer = await sdk("PUT", `/contacts/${contactId}`, {
      first_name: "Hi",
      last_name: "Bye Bye",
      area_code: "852",
      phone_number: "61234567",
      gender: "m",
      language: "en",
      remark: "",
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ display_name: "Hi Bye Bye", phone_number: "+85261234567" });
    const named = await sdk("PUT", `/contacts/${contactId}`, { display_name: "Alice", first_name: "Ignored" });
    expect(named.body.display_name).toBe("Alice");
    const kept = await sdk("PUT", `/contacts/${contactId}`, { first_name: "", last_name: "" });
    expect(kept.body.display_name).toBe("Alice");
    const cleared = await sdk("PUT", `/contacts/${contactId}`, { email: "", phone: null });
    expect(cleared.body).toMatchObject({ email: null, phone_number: null });
  });

  it("answers 409 naming the contact that holds an email, and 422 naming bad fields; nothing changes", async () => {
    const holder = await createContact(native, { name: "Holder", email: "taken@example.com" });
    const before = (await sdk("GET", `/contacts/${contactId}`)).body;
    const clash = await sdk("PUT", `/contacts/${contactId}`, { name: "Changed", email: "TAKEN@example.com" });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ field: "email", existing_id: holder, request_id: expect.any(String) });
    const invalid = await sdk("PUT", `/contacts/${contactId}`, { name: "Changed", email: "not-an-email" });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      code: "invalid_fields",
      details: [{ field: "email", code: "invalid_email", message: expect.any(String) }],
    });
    const wrongType = await sdk("PUT", `/contacts/${contactId}`, { name: 42 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.details).toEqual([expect.objectContaining({ field: "name" })]);
    expect((await sdk("GET", `/contacts/${contactId}`)).body).toEqual(before);
  });

  it("answers malformed bodies with 400, other media types with 415, and another account's contact with 404", async () => {
    const malformed = await sdk("PUT", `/contacts/${contactId}`, "{name:", { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("malformed_json");
    const text = await sdk("PUT", `/contacts/${contactId}`, "name=x", { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe("unsupported_media_type");
    const stranger = await account();
    expect((await stranger.sdk("PUT", `/contacts/${contactId}`, { name: "Hijack" })).status).toBe(404);
    expect((await sdk("GET", `/contacts/${contactId}`)).body.display_name).toBe("Alice");
  });

  it("answers a merged-away contact with 404 (its clients know no 410), naming the survivor", async () => {
    const survivor = await createContact(native, { name: "Keep" });
    const mergee = await createContact(native, { name: "Fold" });
    const merged = await native("POST", "/v1/contacts/merge", { base_contact_id: survivor, mergee_contact_id: mergee });
    expect(merged.status).toBe(200);
    for (const [method, path] of [
      ["GET", `/contacts/${mergee}`],
      ["GET", `/contacts/${mergee}/comments`],
      ["GET", `/contact/${mergee}/files`],
    ] as const) {
      const answer = await sdk(method, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body).toMatchObject({ code: "contact_merged", merged_into: survivor });
    }
  });
});

describe("search", () => {
  let sdk: ReturnType<typeof sdkClient>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const created = await account();
    sdk = created.sdk;
    for (const [name, email] of [
      ["Alice Smith", "alice@example.com"],
      ["Alicia Keys", "keys@example.com"],
      ["Bob", "bob@example.org"],
    ] as const) {
      ids[name] = await createContact(created.native, { name, email });
    }
  });

  it("finds by substring as the SDK asks (type=text), with the envelope's count and total", async () => {
    const answer = await sdk("GET", `/contacts/_search?q=${encodeURIComponent("alice@example.com")}&type=text`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object_name: "list", count: 1, total: 1, has_more: false });
    expect(answer.body.data[0]).toMatchObject({ id: ids["Alice Smith"], email: "alice@example.com" });

    const page = await sdk("GET", "/contacts/_search?q=ali&limit=1&skip=0&type=text");
    expect(page.body).toMatchObject({ count: 2, total: 1, has_more: true });
    const sorted = await sdk("GET", "/contacts/_search?q=ali&sort=-display_name");
    expect(sorted.body.data.map((c: { id: string }) => c.id)).toEqual([ids["Alicia Keys"], ids["Alice Smith"]]);
    const none = await sdk("GET", "/contacts/_search?q=nobody&limit=10&skip=0&type=text");
    expect(none.body).toEqual({ object_name: "list", data: [], has_more: false, count: 0, total: 0 });
  });

  it("refuses a search with no term, and an unknown sort key", async () => {
    const blank = await sdk("GET", "/contacts/_search?q=%20");
    expect(blank.status).toBe(422);
    expect(blank.body.details).toEqual([expect.objectContaining({ field: "q" })]);
    expect((await sdk("GET", "/contacts/_search")).status).toBe(422);
    expect((await sdk("GET", "/contacts/_search?q=ali&sort=rank")).status).toBe(400);
  });
});

describe("exportCsv", () => {
  let sdk: ReturnType<typeof sdkClient>;
  const ids: string[] = [];

  beforeAll(async () => {
    const created = await account();
    sdk = created.sdk;
    for (const name of ["First", "Second", "Third"]) ids.push(await createContact(created.native, { name }));
  });

  it("streams every contact as CSV text, honouring sort", async () => {
    const response = await fetch(`${server.url}/channel-service/v1/contacts/_export_csv?sort=-created_at`, {
      headers: { "x-api-key": (await account()).admin.token },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(
      "id,name,email,phone_number,identifier,labels,created_at,updated_at,last_activity_at,blocked\r\n",
    );

    const answer = await sdk("GET", "/contacts/_export_csv?sort=-created_at");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = (answer.body as string).trimEnd().split("\r\n");
    expect(rows[0]).toMatch(/^id,name,email,phone_number,/);
    expect(rows.slice(1).map((row) => row.split(",")[0])).toEqual([...ids].reverse());
    const ascending = await sdk("GET", "/contacts/_export_csv");
    expect(
      (ascending.body as string)
        .trimEnd()
        .split("\r\n")
        .slice(1)
        .map((row) => row.split(",")[1]),
    ).toEqual(["First", "Second", "Third"]);
  });

  it("answers an unknown sort key with a JSON 400 before any CSV", async () => {
    const answer = await sdk("GET", "/contacts/_export_csv?sort=-shoe_size");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "invalid_sort", message: expect.stringContaining("shoe_size") });
  });
});
