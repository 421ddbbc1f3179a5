import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  basicAuth,
  type Credentials,
  httpClient,
  newAccount,
  newAgent,
  startServer,
  type TestServer,
  useServer,
} from "./harness.js";

describe("native contacts API", () => {
  let server: TestServer;
  let admin: Credentials;
  let api: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    server = await startServer({ defaultCountry: "US" });
    admin = await newAccount(server.db);
    api = httpClient(server.url, basicAuth(admin));
  });
  afterAll(() => server.close());

  it("creates a contact and answers in the seed's schema", async () => {
    const res = await api("POST", "/v1/contacts", {
      name: "Alice Example",
      email: "Alice@Example.com",
      phone_number: "(415) 555-0100",
      identifier: "crm-alice",
      additional_attributes: { company_name: "Acme", city: "Oakland" },
      custom_attributes: { plan: "pro" },
      labels: ["VIP", "lead"],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.body).toMatchObject({
      object_name: "contact",
      organization_id: String(admin.accountId),
      display_name: "Alice Example",
      name: "Alice Example",
      email: "alice@example.com",
      phone_number: "+14155550100",
      phone_number_raw: "(415) 555-0100",
      identifier: "crm-alice",
      avatar_url: null,
      custom_attributes: { plan: "pro" },
      blocked: false,
      labels: ["lead", "vip"],
      last_activity_at: null,
    });
    expect(res.body.id).toMatch(/^\d+$/);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    expect(new Date(res.body.updated_at).toISOString()).toBe(res.body.updated_at);
  });

  it("accepts the seed's aliases display_name and phone", async () => {
    const res = await api("POST", "/v1/contacts", { display_name: "Alias", phone: "+44 20 7946 0000" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Alias", phone_number: "+442079460000" });
  });

  it("gets, updates with PATCH and PUT, and deletes", async () => {
    const created = (await api("POST", "/v1/contacts", { name: "Bob", custom_attributes: { a: 1, b: 2 } })).body;
    expect((await api("GET", `/v1/contacts/${created.id}`)).body.name).toBe("Bob");
    const patched = await api("PATCH", `/v1/contacts/${created.id}`, {
      name: "Bobby",
      custom_attributes: { b: null, c: 3 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Bobby", custom_attributes: { a: 1, c: 3 } });
    const put = await api("PUT", `/v1/contacts/${created.id}`, { blocked: true });
    expect(put.body).toMatchObject({ name: "Bobby", blocked: true });
    const deleted = await api("DELETE", `/v1/contacts/${created.id}`);
    expect(deleted.body).toEqual({ object_name: "contact", id: created.id, deleted: true });
    expect((await api("GET", `/v1/contacts/${created.id}`)).status).toBe(404);
  });

  it("names the existing contact on a 409", async () => {
    const first = (await api("POST", "/v1/contacts", { email: "clash@example.com" })).body;
    const res = await api("POST", "/v1/contacts", { email: "CLASH@example.com" });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      type: "conflict_error",
      code: "email_taken",
      field: "email",
      existing_id: first.id,
    });
    expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("answers bad input with a 4xx in the error shape and changes nothing", async () => {
    const before = (await api("GET", "/v1/contacts?limit=200")).body.data.length;
    const cases: Array<[unknown, number, string]> = [
      [{ name: "x", unknown_field: 1 }, 422, "unknown_field"],
      [{ email: 42 }, 422, "invalid_type"],
      [{ labels: "vip" }, 422, "invalid_type"],
      [{ custom_attributes: [] }, 422, "invalid_type"],
      [{ email: "nope" }, 422, "invalid_email"],
      [{ phone_number: "12" }, 422, "invalid_phone_number"],
      [{ labels: ["a,b"] }, 422, "invalid_label"],
      ['{"name": ', 400, "malformed_json"],
      ['{"__proto__": {"x": 1}}', 400, "malformed_json"],
      ["[1,2]", 422, "invalid_type"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", "/v1/contacts", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const codes = [res.body.error.code, ...(res.body.error.details ?? []).map((d: { code: string }) => d.code)];
      expect(codes, JSON.stringify(body)).toContain(code);
      expect(res.body.error.request_id).toBeTruthy();
    }
    expect((await api("GET", "/v1/contacts?limit=200")).body.data.length).toBe(before);
  });

  it("refuses oversized bodies with 413 and other media types with 415", async () => {
    const small = await startServer({ db: server.db, bodyLimit: 2048 });
    const smallApi = httpClient(small.url, basicAuth(admin));
    try {
      const big = await smallApi("POST", "/v1/contacts", { name: "x", custom_attributes: { blob: "y".repeat(5000) } });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe("payload_too_large");
      const text = await smallApi("POST", "/v1/contacts", "name=x", { "content-type": "text/plain" });
      expect(text.status).toBe(415);
    } finally {
      await small.close();
    }
  });

  it("accepts a JSON content type with an empty body on GET and DELETE", async () => {
    const created = (await api("POST", "/v1/contacts", { name: "Empty body" })).body;
    const headers = { "content-type": "application/json" };
    expect((await api("GET", `/v1/contacts/${created.id}`, undefined, headers)).status).toBe(200);
    expect((await api("DELETE", `/v1/contacts/${created.id}`, undefined, headers)).status).toBe(200);
  });

  it("answers 404 for ids that are not ids", async () => {
    for (const id of ["abc", "0", "-1", "1e3", "99999999999999999999"]) {
      const res = await api("GET", `/v1/contacts/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe("contact_not_found");
    }
  });

  it("lets agents do everything but delete", async () => {
    const agent = httpClient(server.url, basicAuth(await newAgent(server, admin)));
    const created = await agent("POST", "/v1/contacts", { name: "By agent" });
    expect(created.status).toBe(201);
    expect((await agent("PATCH", `/v1/contacts/${created.body.id}`, { name: "Edited" })).status).toBe(200);
    const denied = await agent("DELETE", `/v1/contacts/${created.body.id}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.type).toBe("permission_error");
    expect((await api("GET", `/v1/contacts/${created.body.id}`)).status).toBe(200);
  });

  it("looks up by exact email, phone in any format, or identifier", async () => {
    const c = (
      await api("POST", "/v1/contacts", {
        email: "look@example.com",
        phone_number: "+1 415 555 0177",
        identifier: "L-9",
      })
    ).body;
    for (const query of ["email=LOOK%40example.com", "phone_number=%28415%29%20555-0177", "identifier=L-9"]) {
      const res = await api("GET", `/v1/contacts/lookup?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body.id).toBe(c.id);
    }
    expect((await api("GET", "/v1/contacts/lookup?email=none%40example.com")).status).toBe(404);
    expect((await api("GET", "/v1/contacts/lookup")).status).toBe(422);
    expect((await api("GET", "/v1/contacts/lookup?email=a%40b.c&identifier=x")).status).toBe(422);
  });
});

describe("native contact listing", () => {
  let server: TestServer;
  let api: ReturnType<typeof httpClient>;
  const made: any[] = [];

  beforeAll(async () => {
    server = await startServer({ defaultCountry: "US" });
    const admin = await newAccount(server.db);
    api = httpClient(server.url, basicAuth(admin));
    const companies = ["Acme", "Globex", null, "acme", "Initech"];
    for (let i = 0; i < 23; i++) {
      const body: Record<string, unknown> = {
        name: i % 7 === 0 ? `zed ${i}` : `Person ${String(i).padStart(2, "0")}`,
        additional_attributes: companies[i % 5]
          ? { company_name: companies[i % 5], city: i % 2 ? "Paris" : "Lima" }
          : {},
        labels: i % 3 === 0 ? ["vip"] : i % 3 === 1 ? ["lead"] : [],
      };
      if (i % 4 !== 0) body.email = `person${i}@example.com`;
      if (i % 2 === 0) body.phone_number = `+1415555${String(1000 + i)}`;
      made.push((await api("POST", "/v1/contacts", body)).body);
    }
  });
  afterAll(() => server.close());

  async function walk(query: string, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await api(
        "GET",
        `/v1/contacts?limit=${limit}&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(res.status).toBe(200);
      ids.push(...res.body.data.map((c: { id: string }) => c.id));
      expect(res.body.has_more).toBe(res.body.next_cursor !== null);
      if (!res.body.has_more) return ids;
      cursor = res.body.next_cursor;
    }
    throw new Error("pagination did not end");
  }

  it("lists newest first by default with a stable order", async () => {
    const res = await api("GET", "/v1/contacts?limit=200");
    expect(res.body.object_name).toBe("list");
    expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([...made].reverse().map((c) => c.id));
  });

  it("pages with limit and skip as the seed does", async () => {
    const first = await api("GET", "/v1/contacts?limit=10&skip=0");
    const second = await api("GET", "/v1/contacts?limit=10&skip=10");
    const third = await api("GET", "/v1/contacts?limit=10&skip=20");
    expect(first.body.has_more).toBe(true);
    expect(third.body.has_more).toBe(false);
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((c: { id: string }) => c.id);
    expect(ids).toEqual([...made].reverse().map((c) => c.id));
  });

  for (const sort of [
    "name",
    "email",
    "phone_number",
    "last_activity_at",
    "created_at",
    "company",
    "city",
    "country",
  ]) {
    for (const direction of ["asc", "desc"]) {
      it(`walks every contact exactly once by cursor, sorted by ${sort} ${direction}`, async () => {
        const all = (await api("GET", `/v1/contacts?limit=200&sort=${sort}&direction=${direction}`)).body.data;
        const walked = await walk(`sort=${sort}&direction=${direction}`, 4);
        expect(walked).toEqual(all.map((c: { id: string }) => c.id));
        expect(new Set(walked).size).toBe(made.length);
      });
    }
  }

  it("puts empty values last whichever the direction", async () => {
    for (const direction of ["asc", "desc"]) {
      const data = (await api("GET", `/v1/contacts?limit=200&sort=email&direction=${direction}`)).body.data;
      const firstNull = data.findIndex((c: { email: string | null }) => c.email === null);
      expect(data.slice(firstNull).every((c: { email: string | null }) => c.email === null)).toBe(true);
      expect(firstNull).toBeGreaterThan(0);
    }
  });

  it("filters by any of several labels, repeated or comma-separated", async () => {
    const vip = made
      .filter((c) => c.labels.includes("vip"))
      .map((c) => c.id)
      .sort();
    const either = made
      .filter((c) => c.labels.length > 0)
      .map((c) => c.id)
      .sort();
    const one = (await api("GET", "/v1/contacts?limit=200&labels=VIP")).body.data.map((c: { id: string }) => c.id);
    expect(one.sort()).toEqual(vip);
    for (const q of ["labels=vip&labels=lead", "labels=vip,lead"]) {
      const ids = (await api("GET", `/v1/contacts?limit=200&${q}`)).body.data.map((c: { id: string }) => c.id);
      expect(ids.sort(), q).toEqual(either);
    }
    expect((await walk("labels=vip", 2)).sort()).toEqual(vip);
  });

  it("refuses bad paging parameters clearly", async () => {
    const cases: Array<[string, number, string]> = [
      ["limit=0", 422, "invalid_fields"],
      ["limit=201", 422, "invalid_fields"],
      ["limit=abc", 422, "invalid_fields"],
      ["skip=-1", 422, "invalid_fields"],
      ["sort=favourite", 422, "invalid_fields"],
      ["direction=up", 422, "invalid_fields"],
      ["cursor=garbage", 400, "invalid_cursor"],
      ["bogus=1", 422, "invalid_fields"],
    ];
    for (const [query, status, code] of cases) {
      const res = await api("GET", `/v1/contacts?${query}`);
      expect(res.status, query).toBe(status);
      expect(res.body.error.code, query).toBe(code);
    }
    const cursor = (await api("GET", "/v1/contacts?limit=2&sort=name")).body.next_cursor;
    const mismatch = await api("GET", `/v1/contacts?limit=2&sort=email&cursor=${encodeURIComponent(cursor)}`);
    expect(mismatch.body.error.code).toBe("cursor_mismatch");
    const both = await api("GET", `/v1/contacts?limit=2&skip=2&cursor=${encodeURIComponent(cursor)}`);
    expect(both.body.error.code).toBe("cursor_and_skip");
  });
});

describe("native contact search", () => {
  let server: TestServer;
  let api: ReturnType<typeof httpClient>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer();
    const admin = await newAccount(server.db);
    api = httpClient(server.url, basicAuth(admin));
    const people: Array<[string, Record<string, unknown>]> = [
      ["maria", { name: "Maria", email: "maria@example.com", phone_number: "+1 415 555 0101" }],
      ["mariana", { name: "Mariana Silva", email: "mariana.s@example.org" }],
      ["anamaria", { name: "Ana Maria Costa", identifier: "EXT-77" }],
      ["ext", { name: "External", identifier: "ext-770" }],
      ["acme", { name: "Wile E.", additional_attributes: { company_name: "ACME Rockets" } }],
      ["percent", { name: "100% Real", email: "real_deal@example.com" }],
      ["jo", { name: "Jo Lee", phone_number: "+44 20 7946 0958" }],
    ];
    for (const [key, body] of people) ids[key] = (await api("POST", "/v1/contacts", body)).body.id;
  });
  afterAll(() => server.close());

  const search = async (q: string) => {
    const res = await api("GET", `/v1/contacts/search?q=${encodeURIComponent(q)}&limit=50`);
    expect(res.status, q).toBe(200);
    return res.body.data.map((c: { id: string }) => c.id) as string[];
  };

  it("matches substrings case-insensitively and ranks exact, then prefix, then substring", async () => {
    const found = await search("MARIA");
    expect(found).toEqual([ids.maria, ids.mariana, ids.anamaria]);
    expect(await search("ana maria")).toEqual([ids.anamaria]);
  });

  it("matches phone digits whatever formatting the user typed", async () => {
    expect(await search("(415) 555-0101")).toEqual([ids.maria]);
    expect(await search("5550101")).toEqual([ids.maria]);
    expect(await search("+44 20 7946")).toEqual([ids.jo]);
  });

  it("searches identifier case-insensitively and company", async () => {
    expect(await search("ext-77")).toEqual([ids.anamaria, ids.ext]);
    expect(await search("rockets")).toEqual([ids.acme]);
  });

  it("treats % and _ as plain characters", async () => {
    expect(await search("100%")).toEqual([ids.percent]);
    expect(await search("100_")).toEqual([]);
    expect(await search("real_")).toEqual([ids.percent]);
    expect(await search("%")).toEqual([]); // one character: prefix path, and no name starts with %
  });

  it("uses prefixes for terms under three characters", async () => {
    expect(await search("jo")).toEqual([ids.jo]);
    // Both are prefix matches of the name, so they come in the order of the name.
    expect(await search("ma")).toEqual([ids.maria, ids.mariana]);
  });

  it("pages search results and requires a term", async () => {
    const first = await api("GET", "/v1/contacts/search?q=mar&limit=1");
    expect(first.body.has_more).toBe(true);
    const second = await api("GET", "/v1/contacts/search?q=mar&limit=1&skip=1");
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
    expect((await api("GET", "/v1/contacts/search")).status).toBe(422);
    expect((await api("GET", "/v1/contacts/search?q=%20%20")).status).toBe(422);
    expect((await api("GET", `/v1/contacts/search?q=${"x".repeat(300)}`)).status).toBe(422);
  });

  it("decodes + in the query string as a space", async () => {
    const res = await api("GET", "/v1/contacts/search?q=ana+maria");
    expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([ids.anamaria]);
  });
});

describe("cursor paging while contacts are written", () => {
  const fixture = useServer();

  it("sees every contact that existed throughout exactly once, whatever is inserted between pages", async () => {
    const { api } = fixture;
    const before: string[] = [];
    for (let i = 0; i < 30; i++) {
      before.push((await api("POST", "/v1/contacts", { name: `Steady ${String(i).padStart(2, "0")}` })).body.id);
    }
    for (const [sort, direction] of [
      ["created_at", "desc"],
      ["name", "asc"],
      ["name", "desc"],
      ["last_activity_at", "desc"],
    ]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const query = `limit=7&sort=${sort}&direction=${direction}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await api("GET", `/v1/contacts?${query}`);
        seen.push(...res.body.data.map((c: { id: string }) => c.id));
        // Writers land before and after the position reached: neither may shift the walk.
        await api("POST", "/v1/contacts", { name: `Aaa inserted ${sort} ${page}` });
        await api("POST", "/v1/contacts", { name: `Zzz inserted ${sort} ${page}` });
        if (!res.body.has_more) break;
        cursor = res.body.next_cursor;
      }
      expect(new Set(seen).size, `${sort} ${direction}`).toBe(seen.length);
      for (const id of before) expect(seen, `${sort} ${direction}`).toContain(id);
    }
  });
});
