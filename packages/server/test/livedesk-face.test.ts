import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, httpClient, newAccount, useServer } from "./harness.js";

/** EngageLab LiveDesk's v2 listing, asked exactly as seeds 002 and 004 show. */

const fixture = useServer();
let livedesk: (path: string, authorization?: string) => Promise<{ status: number; body: any; headers: Headers }>;
const ids: Record<string, number> = {};

beforeAll(async () => {
  const { api, server, admin } = fixture;
  // The documented requests carry a JSON content type on a GET with no body.
  livedesk = async (path, authorization = basicAuth(admin)) => {
    const response = await fetch(`${server.url}${path}`, {
      headers: { "content-type": "application/json", authorization },
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text), headers: response.headers };
  };
  const inbox = (await api("POST", "/v1/inboxes", { name: "邮箱", channel_type: "Channel::Email" })).body;
  const support = await api("POST", "/v1/contacts", {
    name: "support",
    email: "support@engagelab.com",
    identifier: "4444",
    inbox_id: inbox.id,
    source_id: "support@engagelab.com",
    additional_attributes: { city: "Shenzhen", company_name: "EngageLab" },
    labels: ["vip"],
  });
  ids.support = Number(support.body.id);
  ids.inbox = Number(inbox.id);
  for (let i = 1; i <= 17; i++) {
    const created = await api("POST", "/v1/contacts", {
      name: `Person ${String(i).padStart(2, "0")}`,
      email: `person${i}@example.com`,
      labels: i % 5 === 0 ? ["lead"] : [],
    });
    ids[`person${i}`] = Number(created.body.id);
  }
  await api("POST", "/v1/conversations", { contact_id: String(ids.support), inbox_id: inbox.id });
});

describe("GET /api/v2/accounts/contacts", () => {
  it("answers seed 002's request: no contact_inboxes key, the page echoed as sent, 15 a page by default", async () => {
    const res = await livedesk("/api/v2/accounts/contacts?include_contact_inboxes=false&page=1&sort=last_activity_at");
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ count: 18, current_page: "1" });
    expect(res.body.payload).toHaveLength(15);
    const first = res.body.payload[0];
    // Sorted by last activity, most recent first: the contact with a conversation.
    expect(first).toMatchObject({
      id: ids.support,
      name: "support",
      email: "support@engagelab.com",
      phone_number: null,
      blocked: false,
      identifier: "4444",
      thumbnail: "",
      availability_status: "offline",
      custom_attributes: {},
      additional_attributes: { city: "Shenzhen", company_name: "EngageLab" },
    });
    expect(Number.isInteger(first.created_at) && Number.isInteger(first.last_activity_at)).toBe(true);
    expect(first.created_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    for (const contact of res.body.payload) expect(contact).not.toHaveProperty("contact_inboxes");
  });

  it("answers seed 004's search with contact_inboxes by default and the page as the number 1", async () => {
    const res = await livedesk("/api/v2/accounts/contacts?q=support@engagelab.com");
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ count: 1, current_page: 1 });
    expect(res.body.payload[0].contact_inboxes).toEqual([
      {
        source_id: "support@engagelab.com",
        inbox: {
          id: ids.inbox,
          avatar_url: "",
          channel_id: ids.inbox,
          name: "邮箱",
          channel_type: "Channel::Email",
          provider: null,
        },
      },
    ]);
  });

  it("searches name, phone, email and identifier; count is every match, not the page", async () => {
    expect((await livedesk("/api/v2/accounts/contacts?q=4444")).body.payload[0].id).toBe(ids.support);
    const people = await livedesk("/api/v2/accounts/contacts?q=person&page_size=5&sort=name&direction=desc");
    expect(people.body.meta.count).toBe(17);
    expect(people.body.payload.map((c: any) => c.name)).toEqual([
      "Person 17",
      "Person 16",
      "Person 15",
      "Person 14",
      "Person 13",
    ]);
  });

  it("pages with page_size and keeps a stable order across pages", async () => {
    const seen: number[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await livedesk(`/api/v2/accounts/contacts?page=${page}&page_size=5&sort=email&direction=asc`);
      expect(res.body.meta).toEqual({ count: 18, current_page: String(page) });
      seen.push(...res.body.payload.map((c: any) => c.id));
    }
    expect(seen).toHaveLength(18);
    expect(new Set(seen).size).toBe(18);
    const beyond = await livedesk("/api/v2/accounts/contacts?page=9&page_size=5");
    expect(beyond.body).toEqual({ meta: { count: 18, current_page: "9" }, payload: [] });
  });

  it("filters by labels given as a string or an array, matching any", async () => {
    const one = await livedesk("/api/v2/accounts/contacts?labels=vip");
    expect(one.body.payload.map((c: any) => c.id)).toEqual([ids.support]);
    const any = await livedesk("/api/v2/accounts/contacts?labels=vip&labels=lead&sort=name");
    expect(any.body.meta.count).toBe(4);
    const bracketed = await livedesk("/api/v2/accounts/contacts?labels[]=lead");
    expect(bracketed.body.meta.count).toBe(3);
  });

  it("sorts by every documented key in both directions", async () => {
    for (const sort of [
      "email",
      "name",
      "phone_number",
      "last_activity_at",
      "created_at",
      "company",
      "city",
      "country",
    ]) {
      for (const direction of ["asc", "desc"]) {
        const res = await livedesk(`/api/v2/accounts/contacts?sort=${sort}&direction=${direction}&page_size=50`);
        expect(res.status, `${sort} ${direction}`).toBe(200);
        expect(res.body.payload).toHaveLength(18);
      }
    }
    const byEmail = await livedesk("/api/v2/accounts/contacts?sort=email&direction=desc&page_size=2");
    expect(byEmail.body.payload.map((c: any) => c.email)).toEqual(["support@engagelab.com", "person9@example.com"]);
  });

  it("answers 401 without or with bad credentials, and sees only the credential's account", async () => {
    const none = await fetch(`${fixture.server.url}/api/v2/accounts/contacts`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: expect.any(String) });
    const bad = await livedesk("/api/v2/accounts/contacts", basicAuth({ key: fixture.admin.key, secret: "wrong" }));
    expect(bad.status).toBe(401);
    const other = await newAccount(fixture.server.db);
    const theirs = await livedesk("/api/v2/accounts/contacts?q=support", basicAuth(other));
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ meta: { count: 0, current_page: 1 }, payload: [] });
  });

  it("answers 401 for a revoked key at once", async () => {
    const other = await newAccount(fixture.server.db);
    expect((await livedesk("/api/v2/accounts/contacts", basicAuth(other))).status).toBe(200);
    expect(
      (await httpClient(fixture.server.url, basicAuth(other))("DELETE", `/v1/api_keys/${other.keyId}`)).status,
    ).toBe(200);
    expect((await livedesk("/api/v2/accounts/contacts", basicAuth(other))).status).toBe(401);
  });

  it("refuses parameters outside the documented ones with a 4xx naming them", async () => {
    for (const query of [
      "sort=colour",
      "direction=up",
      "page=0",
      "page_size=1000",
      "page=abc",
      "include_contact_inboxes=maybe",
    ]) {
      const res = await livedesk(`/api/v2/accounts/contacts?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error, query).toEqual(expect.any(String));
      expect(res.body.attributes, query).toEqual([query.split("=")[0]]);
    }
  });
});
