import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, startServer, type TestServer } from "../../server/test/harness.js";
import { type Contact, Contactd, NotFoundError, Page } from "../src/index.js";

/** The SDK against the real contactd server over HTTP on 127.0.0.1. */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let server: TestServer;
let admin: Credentials;
let basic: Contactd;
let bearer: Contactd;

beforeAll(async () => {
  server = await startServer();
  admin = await newAccount(server.db);
  basic = new Contactd({ baseUrl: server.url, apiKey: admin.key, apiSecret: admin.secret });
  bearer = new Contactd({ baseUrl: server.url, token: admin.token });
});

afterAll(async () => {
  await server?.close();
});

/** A client of an account of its own, so counts and listings see only this test's contacts. */
async function freshClient(): Promise<Contactd> {
  const account = await newAccount(server.db);
  return new Contactd({ baseUrl: server.url, token: account.token });
}

describe("contacts round trip", () => {
  for (const [style, client] of [
    ["Basic apiKey/apiSecret", () => basic],
    ["Bearer token", () => bearer],
  ] as const) {
    it(`creates, gets, updates and deletes with ${style}`, async () => {
      const c = client();
      const email = `Round.Trip.${style.length}@Example.com`;
      const created = await c.contacts.create({
        name: "Ada Lovelace",
        email,
        phone_number: "+1 415 555 0100",
        custom_attributes: { plan: "pro", seats: 3 },
        labels: ["VIP", "beta"],
      });
      expect(created).toMatchObject({
        object_name: "contact",
        organization_id: String(admin.accountId),
        name: "Ada Lovelace",
        display_name: "Ada Lovelace",
        email: email.toLowerCase(),
        phone_number: "+14155550100",
        phone_number_raw: "+1 415 555 0100",
        custom_attributes: { plan: "pro", seats: 3 },
        labels: ["beta", "vip"],
        blocked: false,
      });
      expect(created.id).toMatch(/^\d+$/);

      const fetched = await c.contacts.get(created.id);
      expect(fetched).toEqual(created);
      expect(await c.contacts.get(Number(created.id))).toEqual(created);

      const updated = await c.contacts.update(created.id, {
        display_name: "Ada King",
        custom_attributes: { seats: null, tier: 1 },
      });
      expect(updated.name).toBe("Ada King");
      expect(updated.email).toBe(email.toLowerCase());
      expect(updated.custom_attributes).toEqual({ plan: "pro", tier: 1 });

      const deleted = await c.contacts.delete(created.id);
      expect(deleted).toEqual({ object_name: "contact", id: created.id, deleted: true });
      await expect(c.contacts.get(created.id)).rejects.toBeInstanceOf(NotFoundError);
    });
  }

  it("me() names the credential's user and organization", async () => {
    const me = await bearer.me();
    expect(me.object_name).toBe("me");
    expect(me.user).toMatchObject({ object_name: "user", id: String(admin.userId), role: "administrator" });
    expect(me.organization.id).toBe(String(admin.accountId));
    expect(me.api_key_id).toBe(String(admin.keyId));
  });
});

describe("listing and pagination", () => {
  let client: Contactd;
  let ids: string[];

  beforeAll(async () => {
    client = await freshClient();
    ids = [];
    for (let i = 0; i < 25; i++) {
      const labels = i % 5 === 0 ? ["fifth"] : [];
      const contact = await client.contacts.create({
        name: `Pager ${String(i).padStart(2, "0")}`,
        email: `pager${i}@example.com`,
        labels,
      });
      ids.push(contact.id);
    }
  });

  it("awaits the first page with the seed schema fields", async () => {
    const page = await client.contacts.list({ limit: 7 });
    expect(page).toBeInstanceOf(Page);
    expect(page.data).toHaveLength(7);
    expect(page.has_more).toBe(true);
    expect(typeof page.next_cursor).toBe("string");
    expect(page.hasNextPage()).toBe(true);
    const first = page.data[0] as Contact;
    for (const key of [
      "id",
      "organization_id",
      "display_name",
      "email",
      "phone_number",
      "avatar_url",
      "created_at",
      "updated_at",
    ]) {
      expect(first).toHaveProperty(key);
    }
    expect(first.id).toBe(ids.at(-1)); // newest first by default
    expect(first.organization_id).toMatch(/^\d+$/);
    expect(first.display_name).toBe("Pager 24");
    expect(first.email).toBe("pager24@example.com");
    expect(first.phone_number).toBeNull();
    expect(first.avatar_url).toBeNull();
    expect(first.created_at).toMatch(ISO);
    expect(first.updated_at).toMatch(ISO);
  });

  it("iterates every contact exactly once across cursor pages", async () => {
    const seen: string[] = [];
    for await (const contact of client.contacts.list({ limit: 7 })) seen.push(contact.id);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(seen).toEqual([...ids].reverse());
  });

  it("keeps the sort and filters while following the cursor", async () => {
    const names: string[] = [];
    for await (const contact of client.contacts.list({ limit: 4, sort: "name", direction: "asc" }))
      names.push(contact.name);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `Pager ${String(i).padStart(2, "0")}`));

    const labelled: string[] = [];
    for await (const contact of client.contacts.list({ limit: 2, labels: ["fifth"], sort: "name" }))
      labelled.push(contact.name);
    expect(labelled).toEqual(["Pager 00", "Pager 05", "Pager 10", "Pager 15", "Pager 20"]);
  });

  it("continues by skip when the caller started with skip", async () => {
    const seen: string[] = [];
    for await (const contact of client.contacts.list({ limit: 6, skip: 3 })) seen.push(contact.id);
    expect(seen).toEqual([...ids].reverse().slice(3));

    const page = await client.contacts.list({ limit: 10, skip: 0 });
    const next = await page.getNextPage();
    expect(next.data.map((c) => c.id)).toEqual([...ids].reverse().slice(10, 20));
  });

  it("getNextPage walks the pages by hand until has_more is false", async () => {
    let page = await client.contacts.list({ limit: 10 });
    const sizes = [page.data.length];
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      sizes.push(page.data.length);
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(page.has_more).toBe(false);
    expect(page.next_cursor).toBeNull();
    await expect(page.getNextPage()).rejects.toThrow(/no next page/);
  });

  it("a Page is itself iterable from that page onward", async () => {
    const second = await (await client.contacts.list({ limit: 10 })).getNextPage();
    const seen: string[] = [];
    for await (const contact of second) seen.push(contact.id);
    expect(seen).toEqual([...ids].reverse().slice(10));
  });

  it("searches by string and by object, paging by skip", async () => {
    const byString = await client.contacts.search("pager 1");
    expect(byString.data.map((c) => c.name).sort()).toEqual([
      "Pager 10",
      "Pager 11",
      "Pager 12",
      "Pager 13",
      "Pager 14",
      "Pager 15",
      "Pager 16",
      "Pager 17",
      "Pager 18",
      "Pager 19",
    ]);
    expect(byString.next_cursor).toBeNull();

    const byObject = await client.contacts.search({ q: "pager", limit: 3, labels: ["fifth"] });
    expect(byObject.data).toHaveLength(3);
    expect(byObject.has_more).toBe(true);
    const all: string[] = [];
    for await (const contact of client.contacts.search({ q: "pager", limit: 3, labels: "fifth" }))
      all.push(contact.name);
    expect(all.sort()).toEqual(["Pager 00", "Pager 05", "Pager 10", "Pager 15", "Pager 20"]);

    const everyone = new Set<string>();
    for await (const contact of client.contacts.search({ q: "example.com", limit: 8 })) everyone.add(contact.id);
    expect(everyone.size).toBe(25);
  });
});

describe("lookup", () => {
  it("finds a contact by email, phone number or identifier", async () => {
    const client = await freshClient();
    const contact = await client.contacts.create({
      name: "Grace",
      email: "grace@example.com",
      phone: "+44 20 7946 0958",
      identifier: "ext-42",
    });
    expect((await client.contacts.lookup({ email: "GRACE@example.com" })).id).toBe(contact.id);
    expect((await client.contacts.lookup({ phone_number: "+442079460958" })).id).toBe(contact.id);
    expect((await client.contacts.lookup({ identifier: "ext-42" })).id).toBe(contact.id);
    await expect(client.contacts.lookup({ email: "nobody@example.com" })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("labels", () => {
  it("sets, adds, removes and lists a contact's labels, and counts them per account", async () => {
    const client = await freshClient();
    const a = await client.contacts.create({ name: "A" });
    const b = await client.contacts.create({ name: "B" });

    expect(await client.contacts.labels.list(a.id)).toEqual([]);
    expect(await client.contacts.labels.set(a.id, ["Gold", "lead"])).toEqual(["gold", "lead"]);
    expect(await client.contacts.labels.add(a.id, ["vip", "gold"])).toEqual(["gold", "lead", "vip"]);
    expect(await client.contacts.labels.remove(a.id, ["lead"])).toEqual(["gold", "vip"]);
    expect(await client.contacts.labels.list(Number(a.id))).toEqual(["gold", "vip"]);
    expect(await client.contacts.labels.add(b.id, ["vip"])).toEqual(["vip"]);
    expect((await client.contacts.get(a.id)).labels).toEqual(["gold", "vip"]);

    const labels = await client.labels.list();
    const counts = Object.fromEntries(labels.map((label) => [label.name, label.contacts_count]));
    expect(counts).toEqual({ gold: 1, lead: 0, vip: 2 });
    expect(labels[0]).toMatchObject({ object_name: "label", id: expect.stringMatching(/^\d+$/) });
  });
});
