import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { type Credentials, httpClient, newAccount, useServer } from "./harness.js";

/**
 * POST /contacts/filter: every standard key and operator of Chatwoot's table, custom attributes by
 * their definition's type, the joining of conditions, and Chatwoot's 422 texts.
 */

const fixture = useServer();
let account: Credentials;
let api: ReturnType<typeof httpClient>;
const ids: Record<"alice" | "bob" | "carol" | "dan", number> = { alice: 0, bob: 0, carol: 0, dan: 0 };

const path = () => `/api/v1/accounts/${account.accountId}/contacts`;

interface Condition {
  attribute_key: string;
  filter_operator: string;
  values?: unknown;
  query_operator?: string | null;
}

async function filter(payload: Condition[], query = "") {
  return api("POST", `${path()}/filter${query}`, { payload });
}

/** The names of the contacts a filter matches, sorted. */
async function matches(...payload: Condition[]): Promise<string[]> {
  const res = await filter(payload);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.meta.count).toBe(res.body.payload.length);
  const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
  return res.body.payload.map((c: { id: number }) => byId[c.id]).sort();
}

const one = (attribute_key: string, filter_operator: string, values?: unknown) => ({
  attribute_key,
  filter_operator,
  values,
});

async function define(key: string, displayType: string) {
  await fixture.server.db.execute(sql`
    INSERT INTO custom_attribute_definitions (account_id, attribute_key, display_name, display_type)
    VALUES (${account.accountId}, ${key}, ${key}, ${displayType})`);
}

beforeAll(async () => {
  account = await newAccount(fixture.server.db);
  api = httpClient(fixture.server.url, undefined);
  const headers = { api_access_token: account.token };
  const post = async (body: object, labels: string[] = []) => {
    const res = await api("POST", path(), body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.body.payload.contact.id as number;
    if (labels.length) await api("POST", `${path()}/${id}/labels`, { labels }, headers);
    return id;
  };
  const base = api;
  api = (method, url, body, extra = {}) => base(method, url, body, { ...headers, ...extra });

  ids.alice = await post(
    {
      name: "Alice Anders",
      email: "alice@acme.io",
      phone_number: "+14155550101",
      identifier: "CRM-1",
      additional_attributes: { country_code: "US", city: "Oakland", company_name: "Acme" },
      custom_attributes: { plan: "Pro", seats: 10, renewal: "2030-01-15", vip: true, nickname: "Ally", amount: 99.5 },
    },
    ["vip"],
  );
  ids.bob = await post(
    {
      name: "Bob Brown",
      email: "bob@beta.io",
      phone_number: "+442079460000",
      identifier: "crm-2",
      blocked: true,
      additional_attributes: { country_code: "gb", city: "London", company: "Beta Ltd" },
      custom_attributes: { plan: "free", seats: "3", renewal: "2020-06-01T10:00:00Z", vip: false, amount: "10" },
    },
    ["lead"],
  );
  ids.carol = await post({ name: "Carol" });
  // Values nobody validated on the way in: typed comparisons must pass over them, not fail.
  ids.dan = await post({
    name: "Dan 100%_off",
    email: "dan@x.io",
    custom_attributes: { seats: "many", renewal: "not a date", vip: "maybe", amount: { odd: true } },
  });
  await define("plan", "list");
  await define("seats", "number");
  await define("renewal", "date");
  await define("vip", "checkbox");
  await define("amount", "currency");
  await fixture.server.db.execute(sql`
    UPDATE contacts SET created_at = '2020-01-01T12:00:00Z', last_activity_at = '2019-05-05T12:00:00Z'
    WHERE account_id = ${account.accountId} AND id = ${ids.bob}`);
  await fixture.server.db.execute(
    sql`UPDATE contacts SET last_activity_at = now() WHERE account_id = ${account.accountId} AND id = ${ids.alice}`,
  );
  // Another account's look-alike never shows up.
  const other = await newAccount(fixture.server.db);
  await base(
    "POST",
    `/api/v1/accounts/${other.accountId}/contacts`,
    { name: "Alice Anders", email: "alice@acme.io" },
    { api_access_token: other.token },
  );
});

describe("Chatwoot filter: standard keys", () => {
  it("name: equal_to, not_equal_to, contains, does_not_contain", async () => {
    expect(await matches(one("name", "equal_to", ["alice ANDERS"]))).toEqual(["alice"]);
    expect(await matches(one("name", "not_equal_to", ["Alice Anders"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("name", "contains", ["ali", "BOB"]))).toEqual(["alice", "bob"]);
    expect(await matches(one("name", "does_not_contain", ["o"]))).toEqual(["alice"]);
  });

  it("contains takes % and _ literally", async () => {
    expect(await matches(one("name", "contains", ["%"]))).toEqual(["dan"]);
    expect(await matches(one("name", "contains", ["0%_o"]))).toEqual(["dan"]);
    expect(await matches(one("name", "contains", ["_"]))).toEqual(["dan"]);
  });

  it("email: every text operator; negations include contacts without one", async () => {
    expect(await matches(one("email", "equal_to", ["ALICE@acme.io"]))).toEqual(["alice"]);
    expect(await matches(one("email", "not_equal_to", ["alice@acme.io"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("email", "contains", ["acme"]))).toEqual(["alice"]);
    expect(await matches(one("email", "does_not_contain", ["acme"]))).toEqual(["bob", "carol", "dan"]);
  });

  it("phone_number: compared in E.164 with or without +; starts_with is a prefix", async () => {
    expect(await matches(one("phone_number", "equal_to", ["14155550101"]))).toEqual(["alice"]);
    expect(await matches(one("phone_number", "equal_to", ["+1 415 555 0101"]))).toEqual(["alice"]);
    expect(await matches(one("phone_number", "not_equal_to", ["14155550101"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("phone_number", "contains", ["555"]))).toEqual(["alice"]);
    expect(await matches(one("phone_number", "does_not_contain", ["555"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("phone_number", "starts_with", ["+44"]))).toEqual(["bob"]);
  });

  it("identifier: equal_to and not_equal_to, case-insensitively", async () => {
    expect(await matches(one("identifier", "equal_to", ["crm-1"]))).toEqual(["alice"]);
    expect(await matches(one("identifier", "not_equal_to", ["CRM-1"]))).toEqual(["bob", "carol", "dan"]);
  });

  it("country_code, city and company read additional_attributes", async () => {
    expect(await matches(one("country_code", "equal_to", ["us"]))).toEqual(["alice"]);
    expect(await matches(one("country_code", "equal_to", ["GB"]))).toEqual(["bob"]);
    expect(await matches(one("country_code", "not_equal_to", ["us"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("city", "equal_to", ["oakland"]))).toEqual(["alice"]);
    expect(await matches(one("city", "not_equal_to", ["oakland"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("city", "contains", ["lon"]))).toEqual(["bob"]);
    expect(await matches(one("city", "does_not_contain", ["lon"]))).toEqual(["alice", "carol", "dan"]);
    // company_name (the dashboard's key) and company (CSV imports') both count.
    expect(await matches(one("company", "equal_to", ["acme"]))).toEqual(["alice"]);
    expect(await matches(one("company", "equal_to", ["beta ltd"]))).toEqual(["bob"]);
    expect(await matches(one("company", "contains", ["bet"]))).toEqual(["bob"]);
    expect(await matches(one("company", "not_equal_to", ["acme"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("company", "does_not_contain", ["e"]))).toEqual(["carol", "dan"]);
  });

  it("labels: equal_to, not_equal_to, is_present, is_not_present", async () => {
    expect(await matches(one("labels", "equal_to", ["VIP"]))).toEqual(["alice"]);
    expect(await matches(one("labels", "not_equal_to", ["vip"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("labels", "is_present"))).toEqual(["alice", "bob"]);
    expect(await matches(one("labels", "is_not_present"))).toEqual(["carol", "dan"]);
  });

  it("created_at and last_activity_at: is_greater_than, is_less_than, days_before", async () => {
    expect(await matches(one("created_at", "is_greater_than", ["2021-01-01"]))).toEqual(["alice", "carol", "dan"]);
    expect(await matches(one("created_at", "is_less_than", ["2021-01-01"]))).toEqual(["bob"]);
    expect(await matches(one("created_at", "days_before", ["30"]))).toEqual(["bob"]);
    expect(await matches(one("created_at", "days_before", [0]))).toEqual(["bob"]);
    expect(await matches(one("last_activity_at", "is_greater_than", ["2020-01-01T00:00:00Z"]))).toEqual(["alice"]);
    expect(await matches(one("last_activity_at", "is_less_than", ["2020-01-01"]))).toEqual(["bob"]);
    expect(await matches(one("last_activity_at", "days_before", ["365"]))).toEqual(["bob"]);
  });

  it("blocked: equal_to and not_equal_to", async () => {
    expect(await matches(one("blocked", "equal_to", [true]))).toEqual(["bob"]);
    expect(await matches(one("blocked", "equal_to", ["false"]))).toEqual(["alice", "carol", "dan"]);
    expect(await matches(one("blocked", "not_equal_to", [true]))).toEqual(["alice", "carol", "dan"]);
  });
});

describe("Chatwoot filter: custom attributes", () => {
  it("list (text): compared case-insensitively, with presence", async () => {
    expect(await matches(one("plan", "equal_to", ["pro"]))).toEqual(["alice"]);
    expect(await matches(one("plan", "not_equal_to", ["pro"]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("plan", "contains", ["RE"]))).toEqual(["bob"]);
    expect(await matches(one("plan", "does_not_contain", ["re"]))).toEqual(["alice", "carol", "dan"]);
    expect(await matches(one("plan", "is_present"))).toEqual(["alice", "bob"]);
    expect(await matches(one("plan", "is_not_present"))).toEqual(["carol", "dan"]);
  });

  it("number and currency: compared as numbers, numeric strings included, others passed over", async () => {
    expect(await matches(one("seats", "is_greater_than", ["5"]))).toEqual(["alice"]);
    expect(await matches(one("seats", "is_less_than", [5]))).toEqual(["bob"]);
    expect(await matches(one("seats", "equal_to", ["10.0"]))).toEqual(["alice"]);
    expect(await matches(one("seats", "not_equal_to", [10]))).toEqual(["bob", "carol", "dan"]);
    expect(await matches(one("seats", "is_present"))).toEqual(["alice", "bob"]);
    expect(await matches(one("amount", "is_greater_than", ["50"]))).toEqual(["alice"]);
    expect(await matches(one("amount", "is_less_than", ["50"]))).toEqual(["bob"]);
  });

  it("date: compared as calendar dates, days_before included", async () => {
    expect(await matches(one("renewal", "is_greater_than", ["2025-01-01"]))).toEqual(["alice"]);
    expect(await matches(one("renewal", "is_less_than", ["2025-01-01"]))).toEqual(["bob"]);
    expect(await matches(one("renewal", "equal_to", ["2020-06-01"]))).toEqual(["bob"]);
    expect(await matches(one("renewal", "days_before", ["10"]))).toEqual(["bob"]);
    expect(await matches(one("renewal", "is_not_present"))).toEqual(["carol", "dan"]);
  });

  it("checkbox: equal_to and not_equal_to", async () => {
    expect(await matches(one("vip", "equal_to", [true]))).toEqual(["alice"]);
    expect(await matches(one("vip", "equal_to", ["false"]))).toEqual(["bob"]);
    expect(await matches(one("vip", "not_equal_to", [true]))).toEqual(["bob", "carol", "dan"]);
  });

  it("a key the account has not defined is compared as text", async () => {
    expect(await matches(one("nickname", "equal_to", ["ALLY"]))).toEqual(["alice"]);
    expect(await matches(one("nickname", "contains", ["ll"]))).toEqual(["alice"]);
    expect(await matches(one("nickname", "is_present"))).toEqual(["alice"]);
  });
});

describe("Chatwoot filter: joining conditions", () => {
  it("joins left to right with SQL's precedence: a OR b AND c is a OR (b AND c)", async () => {
    expect(
      await matches(
        { ...one("name", "equal_to", ["alice anders"]), query_operator: "OR" },
        { ...one("name", "equal_to", ["bob brown"]), query_operator: "AND" },
        { ...one("blocked", "equal_to", [true]), query_operator: null },
      ),
    ).toEqual(["alice", "bob"]);
    expect(
      await matches(
        { ...one("blocked", "equal_to", [false]), query_operator: "and" },
        { ...one("email", "contains", ["acme"]), query_operator: "or" },
        one("name", "equal_to", ["carol"]),
      ),
    ).toEqual(["alice", "carol"]);
  });

  it("ignores the last condition's operator, as Chatwoot's clients send one", async () => {
    expect(await matches({ ...one("name", "equal_to", ["carol"]), query_operator: "AND" })).toEqual(["carol"]);
  });

  it("takes a bare value for a list of one and an empty payload for every contact", async () => {
    expect(await matches(one("name", "equal_to", "Carol"))).toEqual(["carol"]);
    expect(await matches()).toEqual(["alice", "bob", "carol", "dan"]);
  });
});

describe("Chatwoot filter: errors", () => {
  const STANDARD =
    "name,email,phone_number,identifier,country_code,city,company,labels,created_at,last_activity_at,blocked";

  async function refused(payload: Condition[]): Promise<unknown> {
    const res = await filter(payload);
    expect(res.status).toBe(422);
    return res.body;
  }

  it("an operator a standard key does not take", async () => {
    expect(await refused([one("identifier", "contains", ["crm"])])).toEqual({
      error: "Invalid operator. The allowed operators for identifier are [equal_to,not_equal_to].",
    });
    expect(await refused([one("name", "is_present")])).toEqual({
      error: "Invalid operator. The allowed operators for name are [equal_to,not_equal_to,contains,does_not_contain].",
    });
    expect(await refused([{ attribute_key: "email", filter_operator: "", values: ["x"] }])).toEqual({
      error: "Invalid operator. The allowed operators for email are [equal_to,not_equal_to,contains,does_not_contain].",
    });
  });

  it("an operator a custom attribute's type cannot mean", async () => {
    expect(await refused([one("seats", "contains", ["1"])])).toEqual({
      error:
        "Invalid operator. The allowed operators for seats are [equal_to,not_equal_to,is_present,is_not_present,is_greater_than,is_less_than].",
    });
    expect(await refused([one("vip", "is_greater_than", ["1"])])).toEqual({
      error: "Invalid operator. The allowed operators for vip are [equal_to,not_equal_to].",
    });
  });

  it("missing or unreadable values", async () => {
    const invalid = (key: string) => ({ error: `Invalid value. The values provided for ${key} are invalid` });
    expect(await refused([one("name", "equal_to", [])])).toEqual(invalid("name"));
    expect(await refused([one("name", "equal_to")])).toEqual(invalid("name"));
    expect(await refused([one("created_at", "is_greater_than", ["yesterday"])])).toEqual(invalid("created_at"));
    expect(await refused([one("created_at", "days_before", ["-3"])])).toEqual(invalid("created_at"));
    expect(await refused([one("created_at", "is_less_than", ["0000-01-01"])])).toEqual(invalid("created_at"));
    expect(await refused([one("name", "contains", ["x".repeat(1001)])])).toEqual(invalid("name"));
    expect(await refused([one("blocked", "equal_to", ["perhaps"])])).toEqual(invalid("blocked"));
    expect(await refused([one("seats", "is_greater_than", ["ten"])])).toEqual(invalid("seats"));
    expect(await refused([one("renewal", "equal_to", ["2023-02-30"])])).toEqual(invalid("renewal"));
    expect(await refused([one("name", "equal_to", [{ nested: true }])])).toEqual(invalid("name"));
  });

  it("a key that can never be a custom attribute", async () => {
    for (const key of ["referer", ""]) {
      expect(await refused([one(key, "equal_to", ["x"])])).toEqual({
        error: `Invalid attribute key - [${key}]. The key should be one of [${STANDARD}] or a custom attribute defined in the account.`,
      });
    }
  });

  it("a query operator that is not AND or OR, or missing between two conditions", async () => {
    const error = { error: 'Query operator must be either "AND" or "OR".' };
    expect(await refused([{ ...one("name", "equal_to", ["a"]), query_operator: "XOR" }])).toEqual(error);
    expect(await refused([one("name", "equal_to", ["a"]), one("name", "equal_to", ["b"])])).toEqual(error);
  });

  it("a body without a payload list", async () => {
    const res = await api("POST", `${path()}/filter`, { conditions: [] });
    expect(res.status).toBe(422);
    expect(res.body.attributes).toEqual(["payload"]);
  });
});

describe("Chatwoot filter: paging and sorting", () => {
  it("counts every match, pages by 15, echoes page, and sorts on request", async () => {
    const res = await filter([], "?page=1&sort=-name");
    expect(res.body.meta).toEqual({ count: 4, current_page: "1" });
    expect(res.body.payload.map((c: { name: string }) => c.name)).toEqual([
      "Dan 100%_off",
      "Carol",
      "Bob Brown",
      "Alice Anders",
    ]);
    const far = await filter([], "?page=99999999999999999999");
    expect(far.status).toBe(200);
    expect(far.body.payload).toEqual([]);
    const second = await filter([], "?page=2");
    expect(second.body.meta).toEqual({ count: 4, current_page: "2" });
    expect(second.body.payload).toEqual([]);
    expect((await filter([], "?include_contact_inboxes=false")).body.payload[0]).not.toHaveProperty("contact_inboxes");
  });
});
