import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/core/actor.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../src/core/errors.js";
import type { Core } from "../src/core/index.js";
import type { Database } from "../src/store/database.js";
import { sql } from "../src/store/sql.js";
import { backend, newAccount, openTestDatabase, tempBlobStore, testCore } from "./harness.js";

describe(`contacts core on ${backend}`, () => {
  let db: Database;
  let core: Core;
  let admin: Actor;
  let agent: Actor;
  let other: Actor;

  beforeAll(async () => {
    db = await openTestDatabase();
    core = testCore(db, await tempBlobStore(), { defaultCountry: "VN" });
    const a = await newAccount(db);
    admin = { accountId: a.accountId, userId: a.userId, role: "administrator", credentialId: a.keyId };
    agent = { ...admin, role: "agent" };
    const b = await newAccount(db);
    other = { accountId: b.accountId, userId: b.userId, role: "administrator", credentialId: b.keyId };
  });
  afterAll(() => db.close());

  const count = async (actor: Actor) => {
    const [row] = await db.query<{ n: number }>(
      sql`SELECT count(*) AS n FROM contacts WHERE account_id = ${actor.accountId}`,
    );
    return row?.n ?? 0;
  };

  it("normalises email to lower case and phone to E.164, keeping the raw phone", async () => {
    const contact = await core.contacts.create(admin, {
      name: "  Nguyễn Văn An ",
      email: " An.Nguyen@Example.COM ",
      phoneNumber: "0912 345 678",
    });
    expect(contact.name).toBe("Nguyễn Văn An");
    expect(contact.email).toBe("an.nguyen@example.com");
    expect(contact.phoneNumber).toBe("+84912345678");
    expect(contact.phoneRaw).toBe("0912 345 678");
  });

  it("accepts a contact with only a name and lists it", async () => {
    const contact = await core.contacts.create(admin, { name: "Only A Name" });
    const page = await core.contacts.list(admin, { limit: 200 });
    expect(page.data.map((c) => c.id)).toContain(contact.id);
  });

  it("treats blank strings as no value", async () => {
    const contact = await core.contacts.create(admin, { name: "Blank", email: "", phoneNumber: " ", identifier: "" });
    expect([contact.email, contact.phoneNumber, contact.identifier]).toEqual([null, null, null]);
  });

  it("refuses a duplicate email case-insensitively, naming the existing contact", async () => {
    const first = await core.contacts.create(admin, { email: "dup@example.com" });
    const error = await core.contacts.create(admin, { email: "DUP@example.com" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: "email", existingId: first.id });
  });

  it("refuses the same phone written differently", async () => {
    const first = await core.contacts.create(admin, { phoneNumber: "+84 912 000 111" });
    const error = await core.contacts.create(admin, { phoneNumber: "0912-000-111" }).catch((e) => e);
    expect(error).toMatchObject({ field: "phone_number", existingId: first.id });
  });

  it("refuses a duplicate identifier and keeps identifiers case-sensitive", async () => {
    const first = await core.contacts.create(admin, { identifier: "crm-1" });
    await expect(core.contacts.create(admin, { identifier: "crm-1" })).rejects.toMatchObject({ existingId: first.id });
    await expect(core.contacts.create(admin, { identifier: "CRM-1" })).resolves.toMatchObject({ identifier: "CRM-1" });
  });

  it("allows the same email in another account", async () => {
    await core.contacts.create(admin, { email: "shared@example.com" });
    await expect(core.contacts.create(other, { email: "shared@example.com" })).resolves.toBeTruthy();
  });

  it("reports every invalid field at once and writes nothing", async () => {
    const before = await count(admin);
    const error = await core.contacts
      .create(admin, { name: "x".repeat(256), email: "not-an-email", phoneNumber: "12", avatarUrl: "ftp://x" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields.map((f) => f.field).sort()).toEqual([
      "avatar_url",
      "email",
      "name",
      "phone_number",
    ]);
    expect(await count(admin)).toBe(before);
  });

  it("refuses values PostgreSQL cannot store instead of failing", async () => {
    await expect(core.contacts.create(admin, { name: "a\u0000b" })).rejects.toBeInstanceOf(ValidationError);
    await expect(core.contacts.create(admin, { customAttributes: { k: "a\u0000" } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    await expect(core.contacts.create(admin, { additionalAttributes: root })).rejects.toBeInstanceOf(ValidationError);
  });

  it("shallow-merges attribute hashes on update and removes keys set to null", async () => {
    const contact = await core.contacts.create(admin, {
      customAttributes: { plan: "pro", seats: 3 },
      additionalAttributes: { city: "Hanoi", social_profiles: { github: "an" } },
    });
    const updated = await core.contacts.update(admin, contact.id, {
      customAttributes: { seats: null, tier: "gold" },
      additionalAttributes: { social_profiles: { twitter: "an" } },
    });
    expect(updated.customAttributes).toEqual({ plan: "pro", tier: "gold" });
    expect(updated.additionalAttributes).toEqual({ city: "Hanoi", social_profiles: { twitter: "an" } });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(contact.updatedAt.getTime());
  });

  it("treats attribute keys named like an object's methods as any other key", async () => {
    const contact = await core.contacts.create(admin, { customAttributes: { constructor: "x", valueOf: 1 } });
    const history = await core.contacts.activities(admin, contact.id, {});
    expect(history.data[0]?.details.changes).toEqual({
      "custom_attributes.constructor": { from: null, to: "x" },
      "custom_attributes.valueOf": { from: null, to: 1 },
    });
    const mergee = await core.contacts.create(admin, { customAttributes: { toString: "t", hasOwnProperty: true } });
    const merged = await core.contacts.merge(admin, { baseId: contact.id, mergeeId: mergee.id });
    expect(merged.contact.customAttributes).toEqual({
      constructor: "x",
      valueOf: 1,
      toString: "t",
      hasOwnProperty: true,
    });
  });

  it("keeps an attribute named __proto__ as a key of its own through create, update and merge", async () => {
    // JSON.parse makes "__proto__" an own key, as any JSON body or document would.
    const keys = (record: object) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
    const created = JSON.parse('{"__proto__": {"tier": "gold"}, "plan": "pro"}');
    const contact = await core.contacts.create(admin, { customAttributes: created });
    expect(keys(contact.customAttributes)).toEqual([
      ["__proto__", { tier: "gold" }],
      ["plan", "pro"],
    ]);
    const patch = JSON.parse('{"__proto__": "p"}');
    const updated = await core.contacts.update(admin, contact.id, { customAttributes: patch });
    expect(keys(updated.customAttributes)).toEqual([
      ["__proto__", "p"],
      ["plan", "pro"],
    ]);
    const mergee = await core.contacts.create(admin, {
      additionalAttributes: JSON.parse('{"__proto__": {"city": "Hanoi"}}'),
    });
    const merged = await core.contacts.merge(admin, { baseId: contact.id, mergeeId: mergee.id });
    expect(keys(merged.contact.additionalAttributes)).toEqual([["__proto__", { city: "Hanoi" }]]);
    expect(Object.getPrototypeOf(merged.contact.additionalAttributes)).toBe(Object.prototype);
  });

  it("names a contact's labels from its links, in code point order, each link's name held to its label's", async () => {
    const contact = await core.contacts.create(admin, { name: "Labelled", labels: ["zeta", "émile", "alpha"] });
    expect(contact.labels).toEqual(["alpha", "zeta", "émile"]);
    await core.labels.add(admin, contact.id, ["beta"]);
    await core.labels.remove(admin, contact.id, ["zeta"]);
    expect((await core.contacts.get(admin, contact.id)).labels).toEqual(["alpha", "beta", "émile"]);
    const id = async (name: string) => {
      const [row] = await db.query<{ id: number }>(
        sql`SELECT id FROM labels WHERE account_id = ${admin.accountId} AND name = ${name}`,
      );
      return row?.id as number;
    };
    // A link naming another label than its own is refused by the database.
    const mislabelled = db.execute(sql`
      INSERT INTO contact_labels (account_id, contact_id, label_id, name)
      VALUES (${admin.accountId}, ${contact.id}, ${await id("zeta")}, 'alpha-2')`);
    await expect(mislabelled).rejects.toMatchObject({ code: "23503" });
    // Renamed in the database, a label's links follow it.
    await db.execute(sql`UPDATE labels SET name = 'alpha-2' WHERE account_id = ${admin.accountId} AND name = 'alpha'`);
    expect((await core.contacts.get(admin, contact.id)).labels).toEqual(["alpha-2", "beta", "émile"]);
    expect(await core.labels.ofContact(admin, contact.id)).toEqual(["alpha-2", "beta", "émile"]);
  });

  it("keeps fields an update does not name and clears those set to null", async () => {
    const contact = await core.contacts.create(admin, {
      name: "Keep",
      email: "keep@example.com",
      identifier: "keep-1",
    });
    const updated = await core.contacts.update(admin, contact.id, { identifier: null });
    expect(updated).toMatchObject({ name: "Keep", email: "keep@example.com", identifier: null });
  });

  it("does not change a contact when an update clashes", async () => {
    await core.contacts.create(admin, { email: "taken@example.com" });
    const contact = await core.contacts.create(admin, { email: "mine@example.com", name: "Mine" });
    await expect(
      core.contacts.update(admin, contact.id, { email: "taken@example.com", name: "Changed" }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await core.contacts.get(admin, contact.id)).toMatchObject({ email: "mine@example.com", name: "Mine" });
  });

  it("lets only administrators delete, and never across accounts", async () => {
    const contact = await core.contacts.create(admin, { name: "Delete me" });
    await expect(core.contacts.delete(agent, contact.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(core.contacts.delete(other, contact.id)).rejects.toBeInstanceOf(NotFoundError);
    await core.contacts.delete(admin, contact.id);
    await expect(core.contacts.get(admin, contact.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("never shows one account's contact to another", async () => {
    const contact = await core.contacts.create(admin, { name: "Private", email: "private@example.com" });
    await expect(core.contacts.get(other, contact.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(core.contacts.update(other, contact.id, { name: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(core.contacts.lookup(other, { email: "private@example.com" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await core.contacts.search(other, { q: "private" })).data).toEqual([]);
  });

  it("creates exactly one contact when the same email is created concurrently", async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () => core.contacts.create(admin, { email: "race@example.com" })),
    );
    const created = attempts.filter((a) => a.status === "fulfilled");
    const refused = attempts.filter((a) => a.status === "rejected");
    expect(created).toHaveLength(1);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const found = await core.contacts.lookup(admin, { email: "race@example.com" });
    expect(found.id).toBe((created[0] as PromiseFulfilledResult<{ id: number }>).value.id);
  });

  it("looks contacts up by normalised email, phone and identifier", async () => {
    const contact = await core.contacts.create(admin, {
      email: "look@example.com",
      phoneNumber: "+84 913 222 333",
      identifier: "L-1",
    });
    expect((await core.contacts.lookup(admin, { email: "LOOK@example.com" })).id).toBe(contact.id);
    expect((await core.contacts.lookup(admin, { phoneNumber: "0913222333" })).id).toBe(contact.id);
    expect((await core.contacts.lookup(admin, { identifier: "L-1" })).id).toBe(contact.id);
    await expect(core.contacts.lookup(admin, {})).rejects.toBeInstanceOf(ValidationError);
  });

  it("refuses a phone number without a country code when no default country is set", async () => {
    const strict = testCore(db, await tempBlobStore());
    const error = await strict.contacts.create(admin, { phoneNumber: "0912 999 888" }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fields[0]).toMatchObject({ field: "phone_number", code: "missing_country_code" });
  });
});
