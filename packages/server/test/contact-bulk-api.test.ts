import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, type Credentials, httpClient, newAccount, type ServerFixture, useServer } from "./harness.js";

type Client = ServerFixture["api"];

/** Contacts of the account holding any of the values, straight from the database. */
async function countHolding(
  fixture: ServerFixture,
  values: { email?: string; phone?: string; identifier?: string },
): Promise<number> {
  const [row] = await fixture.server.db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM contacts
    WHERE account_id = ${fixture.admin.accountId}
      AND (email = ${values.email ?? null}::text OR phone_e164 = ${values.phone ?? null}::text
        OR identifier = ${values.identifier ?? null}::text)`);
  return (row as { count: number }).count;
}

async function contactCount(fixture: ServerFixture): Promise<number> {
  const [row] = await fixture.server.db.query<{ count: number }>(
    sql`SELECT count(*)::int AS count FROM contacts WHERE account_id = ${fixture.admin.accountId}`,
  );
  return (row as { count: number }).count;
}

describe("POST /v1/contacts/upsert", () => {
  const fixture = useServer({ defaultCountry: "US" });
  let api: Client;
  beforeAll(() => {
    ({ api } = fixture);
  });

  it("creates (201) and then updates (200) by identifier, with PATCH semantics", async () => {
    const created = await api("POST", "/v1/contacts/upsert", {
      identifier: "up-id-1",
      name: "First",
      custom_attributes: { plan: "free", seats: 1 },
      labels: ["lead"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object_name: "contact", identifier: "up-id-1", name: "First" });

    const updated = await api("POST", "/v1/contacts/upsert", {
      identifier: "up-id-1",
      email: "Up-Id-1@Example.com",
      custom_attributes: { plan: "pro", seats: null },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: created.body.id,
      name: "First",
      email: "up-id-1@example.com",
      custom_attributes: { plan: "pro" },
      labels: ["lead"],
    });
    expect(updated.body.custom_attributes).not.toHaveProperty("seats");
    expect(await countHolding(fixture, { identifier: "up-id-1" })).toBe(1);
  });

  it("matches by email, whatever its case", async () => {
    const created = await api("POST", "/v1/contacts/upsert", { email: "ByEmail@example.com", name: "E" });
    expect(created.status).toBe(201);
    const updated = await api("POST", "/v1/contacts/upsert", { email: "byemail@EXAMPLE.com", name: "E2" });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, name: "E2", email: "byemail@example.com" });
  });

  it("matches by phone number in any format, with the default country", async () => {
    const created = await api("POST", "/v1/contacts/upsert", { phone_number: "+1 415-555-0123", name: "P" });
    expect(created.status).toBe(201);
    expect(created.body.phone_number).toBe("+14155550123");
    for (const phone of ["+14155550123", "(415) 555-0123", "1 (415) 555 0123"]) {
      const res = await api("POST", "/v1/contacts/upsert", { phone_number: phone, name: `P ${phone}` });
      expect(res.status, phone).toBe(200);
      expect(res.body, phone).toMatchObject({
        id: created.body.id,
        phone_number: "+14155550123",
        phone_number_raw: phone,
      });
    }
    const alias = await api("POST", "/v1/contacts/upsert", { phone: "415.555.0123" });
    expect(alias.status).toBe(200);
    expect(alias.body.id).toBe(created.body.id);
  });

  it("prefers identifier over email over phone when only one of them matches", async () => {
    const a = (await api("POST", "/v1/contacts", { identifier: "prec-a", email: "prec-a@example.com" })).body;
    // The identifier matches: the new email and phone go to that contact.
    const byId = await api("POST", "/v1/contacts/upsert", {
      identifier: "prec-a",
      email: "prec-a-new@example.com",
      phone_number: "+1 415 555 0150",
    });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id: a.id, email: "prec-a-new@example.com", phone_number: "+14155550150" });

    const b = (await api("POST", "/v1/contacts", { email: "prec-b@example.com" })).body;
    // No contact has this identifier; the email matches a contact without one, which gets it.
    const byEmail = await api("POST", "/v1/contacts/upsert", {
      identifier: "prec-b",
      email: "prec-b@example.com",
      phone_number: "+1 415 555 0151",
    });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ id: b.id, identifier: "prec-b", phone_number: "+14155550151" });

    const c = (await api("POST", "/v1/contacts", { phone_number: "+1 415 555 0152" })).body;
    const byPhone = await api("POST", "/v1/contacts/upsert", {
      email: "prec-c@example.com",
      phone_number: "+14155550152",
    });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body).toMatchObject({ id: c.id, email: "prec-c@example.com" });
  });

  it("answers 409 naming both contacts when the keys match different contacts, and changes nothing", async () => {
    const a = (await api("POST", "/v1/contacts", { identifier: "amb-a", name: "A" })).body;
    const b = (await api("POST", "/v1/contacts", { email: "amb-b@example.com", name: "B" })).body;
    const c = (await api("POST", "/v1/contacts", { phone_number: "+1 415 555 0160", name: "C" })).body;
    const res = await api("POST", "/v1/contacts/upsert", {
      identifier: "amb-a",
      email: "amb-b@example.com",
      phone_number: "+14155550160",
      name: "Merged?",
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      type: "conflict_error",
      code: "ambiguous_match",
      field: "email",
      existing_id: b.id,
      details: [
        { field: "identifier", code: "matches_contact", message: `matches contact ${a.id}` },
        { field: "email", code: "matches_contact", message: `matches contact ${b.id}` },
        { field: "phone_number", code: "matches_contact", message: `matches contact ${c.id}` },
      ],
    });
    expect(res.body.error.message).toContain(`contact ${a.id}`);
    expect(res.body.error.message).toContain(`contact ${b.id}`);
    for (const before of [a, b, c]) {
      expect((await api("GET", `/v1/contacts/${before.id}`)).body).toEqual(before);
    }
  });

  it("answers 409 rather than rewrite the identifier of a contact found by email", async () => {
    const held = (await api("POST", "/v1/contacts", { identifier: "crm-1", email: "held@example.com" })).body;
    const res = await api("POST", "/v1/contacts/upsert", { identifier: "crm-2", email: "held@example.com" });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "identifier_mismatch", field: "identifier", existing_id: held.id });
    expect((await api("GET", `/v1/contacts/${held.id}`)).body).toEqual(held);
    expect(await countHolding(fixture, { identifier: "crm-2" })).toBe(0);
  });

  it("leaves exactly one contact after 50 concurrent upserts of the same person", async () => {
    const person = { email: "race@example.com", phone_number: "+1 415 555 0199", identifier: "race-1" };
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api("POST", "/v1/contacts/upsert", { ...person, name: `Racer ${i}`, custom_attributes: { [`k${i}`]: i } }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.every((status) => status === 200 || status === 201),
      statuses.join(","),
    ).toBe(true);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(
      await countHolding(fixture, { email: "race@example.com", phone: "+14155550199", identifier: "race-1" }),
    ).toBe(1);
    // Every writer's attribute survived: each update merged into the row the previous one left.
    const final = (await api("GET", `/v1/contacts/${answers[0]?.body.id}`)).body;
    expect(Object.keys(final.custom_attributes)).toHaveLength(50);
  });

  it("leaves one contact when concurrent upserts match by email in different cases", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api("POST", "/v1/contacts/upsert", { email: i % 2 ? "Race-Two@Example.com" : "race-two@example.com" }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(await countHolding(fixture, { email: "race-two@example.com" })).toBe(1);
  });

  it("records contact.created, then contact.updated, in the history", async () => {
    const created = await api("POST", "/v1/contacts/upsert", { identifier: "hist-1", name: "Before" });
    await api("POST", "/v1/contacts/upsert", { identifier: "hist-1", name: "After" });
    // The same values again change nothing, so they add no history.
    await api("POST", "/v1/contacts/upsert", { identifier: "hist-1", name: "After" });
    const history = await api("GET", `/v1/contacts/${created.body.id}/activities`);
    expect(history.body.data.map((entry: { action: string }) => entry.action)).toEqual([
      "contact.updated",
      "contact.created",
    ]);
    expect(history.body.data[0].details.changes).toEqual({ name: { from: "Before", to: "After" } });
    expect(history.body.data[0].actor).toMatchObject({ id: String(fixture.admin.userId) });
  });

  it("refuses invalid data with 422 and writes nothing", async () => {
    const before = await contactCount(fixture);
    const cases: Array<[unknown, string]> = [
      [{ identifier: "bad-1", email: "not-an-email" }, "invalid_email"],
      [{ identifier: "bad-1", phone_number: "12" }, "invalid_phone_number"],
      [{ identifier: "bad-1", unknown_field: 1 }, "unknown_field"],
      [{ identifier: "bad-1", custom_attributes: [] }, "invalid_type"],
      [{ name: "No key" }, "match_key_required"],
      [{ email: "", identifier: "  " }, "match_key_required"],
    ];
    for (const [body, code] of cases) {
      const res = await api("POST", "/v1/contacts/upsert", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const codes = [res.body.error.code, ...(res.body.error.details ?? []).map((d: { code: string }) => d.code)];
      expect(codes, JSON.stringify(body)).toContain(code);
    }
    expect(await contactCount(fixture)).toBe(before);

    const existing = (await api("POST", "/v1/contacts", { identifier: "bad-2", name: "Kept" })).body;
    const res = await api("POST", "/v1/contacts/upsert", { identifier: "bad-2", name: "Lost", email: "nope" });
    expect(res.status).toBe(422);
    expect((await api("GET", `/v1/contacts/${existing.id}`)).body).toEqual(existing);
  });

  it("replays an upsert retried with the same Idempotency-Key", async () => {
    const headers = { "idempotency-key": "upsert-retry-1" };
    const first = await api("POST", "/v1/contacts/upsert", { identifier: "idem-up" }, headers);
    const second = await api("POST", "/v1/contacts/upsert", { identifier: "idem-up" }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  it("lets agents upsert", async () => {
    const res = await fixture.agentApi("POST", "/v1/contacts/upsert", { identifier: "agent-up" });
    expect(res.status).toBe(201);
  });
});

describe("POST /v1/contacts/batch", () => {
  const fixture = useServer({ defaultCountry: "US" });
  let api: Client;
  let other: Credentials;
  let otherApi: Client;
  beforeAll(async () => {
    ({ api } = fixture);
    other = await newAccount(fixture.server.db);
    otherApi = httpClient(fixture.server.url, basicAuth(other));
  });

  it("runs mixed operations in order and answers each like its single request", async () => {
    const existing = (await api("POST", "/v1/contacts", { name: "To update", custom_attributes: { a: 1 } })).body;
    const doomed = (await api("POST", "/v1/contacts", { name: "To delete" })).body;
    const res = await api("POST", "/v1/contacts/batch", {
      operations: [
        { op: "create", ref: "r0", data: { name: "Made", email: "mixed@example.com" } },
        { op: "update", id: existing.id, data: { custom_attributes: { b: 2 } } },
        // Runs after the create above, so it finds that contact by its email.
        { op: "upsert", ref: "r2", data: { email: "MIXED@example.com", phone_number: "(415) 555-0170" } },
        { op: "upsert", data: { identifier: "mixed-new" } },
        { op: "delete", id: Number(doomed.id) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.object_name).toBe("batch");
    const [made, updated, upserted, createdByUpsert, deleted] = res.body.results;
    expect(made).toMatchObject({ index: 0, ref: "r0", op: "create", status: 201, contact: { name: "Made" } });
    expect(made.id).toBe(made.contact.id);
    expect(updated).toMatchObject({ index: 1, op: "update", status: 200, id: existing.id });
    expect(updated.contact.custom_attributes).toEqual({ a: 1, b: 2 });
    expect(updated).not.toHaveProperty("ref");
    expect(upserted).toMatchObject({ index: 2, ref: "r2", op: "upsert", status: 200, id: made.id });
    expect(upserted.contact).toMatchObject({ name: "Made", phone_number: "+14155550170" });
    expect(createdByUpsert).toMatchObject({
      index: 3,
      op: "upsert",
      status: 201,
      contact: { identifier: "mixed-new" },
    });
    expect(deleted).toEqual({ index: 4, op: "delete", status: 200, id: doomed.id });
    expect(res.body.counts).toEqual({ succeeded: 5, failed: 0 });
    expect((await api("GET", `/v1/contacts/${doomed.id}`)).status).toBe(404);
    const history = await api("GET", `/v1/contacts/${made.id}/activities`);
    expect(history.body.data.map((entry: { action: string }) => entry.action)).toEqual([
      "contact.updated",
      "contact.created",
    ]);
  });

  it("keeps going past failed operations, each failure with its own status and error", async () => {
    const taken = (await api("POST", "/v1/contacts", { email: "taken@example.com" })).body;
    const res = await api("POST", "/v1/contacts/batch", {
      operations: [
        { op: "create", data: { email: "Taken@example.com" } },
        { op: "create", data: { name: "Fine", email: "fine@example.com" } },
        { op: "update", id: "999999999", data: { name: "Nobody" } },
        { op: "create", data: { email: "not-an-email", phone_number: "12" } },
        { op: "delete", id: "999999999" },
        { op: "update", id: taken.id, data: { email: "fine@example.com" } },
        { op: "upsert", data: { name: "No key" } },
      ],
    });
    expect(res.status).toBe(200);
    const results = res.body.results;
    expect(results.map((result: { status: number }) => result.status)).toEqual([409, 201, 404, 422, 404, 409, 422]);
    expect(results[0].error).toMatchObject({
      type: "conflict_error",
      code: "email_taken",
      field: "email",
      existing_id: taken.id,
    });
    expect(results[0].error.request_id).toBe(res.headers.get("x-request-id"));
    expect(results[2]).toMatchObject({
      id: "999999999",
      error: { type: "not_found_error", code: "contact_not_found" },
    });
    expect(results[3].error).toMatchObject({ type: "invalid_request_error", code: "invalid_fields" });
    expect(results[3].error.details.map((d: { field: string }) => d.field).sort()).toEqual(["email", "phone_number"]);
    expect(results[5].error).toMatchObject({ code: "email_taken", existing_id: results[1].id });
    expect(results[6].error.details[0].code).toBe("match_key_required");
    for (const failed of [results[0], results[2], results[3], results[4], results[5], results[6]]) {
      expect(failed).not.toHaveProperty("contact");
    }
    expect(res.body.counts).toEqual({ succeeded: 1, failed: 6 });
    expect((await api("GET", `/v1/contacts/${taken.id}`)).body).toEqual(taken);
    expect(await countHolding(fixture, { email: "fine@example.com" })).toBe(1);
  });

  it("refuses a batch of more than 100 operations whole, running none", async () => {
    const before = await contactCount(fixture);
    const operations = Array.from({ length: 101 }, (_, i) => ({ op: "create", data: { name: `Too many ${i}` } }));
    const res = await api("POST", "/v1/contacts/batch", { operations });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].field).toBe("operations");
    expect(await contactCount(fixture)).toBe(before);

    const hundred = await api("POST", "/v1/contacts/batch", { operations: operations.slice(0, 100) });
    expect(hundred.status).toBe(200);
    expect(hundred.body.counts).toEqual({ succeeded: 100, failed: 0 });
  });

  it("refuses a malformed batch whole: unknown op, missing or stray id, unknown field", async () => {
    const before = await contactCount(fixture);
    const cases: Array<[unknown, string]> = [
      [
        {
          operations: [
            { op: "create", data: {} },
            { op: "merge", data: {} },
          ],
        },
        "operations[1].op",
      ],
      [
        {
          operations: [
            { op: "create", data: {} },
            { op: "update", data: { name: "x" } },
          ],
        },
        "operations[1].id",
      ],
      [{ operations: [{ op: "create", data: {} }, { op: "delete" }] }, "operations[1].id"],
      [{ operations: [{ op: "create", id: "1", data: {} }] }, "operations[0].id"],
      [{ operations: [{ op: "delete", id: "1", data: {} }] }, "operations[0].data"],
      [{ operations: [{ op: "create", data: { nickname: "x" } }] }, "operations[0].data.nickname"],
      [{ operations: [{ op: "update", id: "abc", data: {} }] }, "operations[0].id"],
      [{ operations: "all" }, "operations"],
      [{}, "operations"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/v1/contacts/batch", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const fields = res.body.error.details.map((d: { field: string }) => d.field);
      expect(fields, JSON.stringify(body)).toContain(field);
    }
    expect(await contactCount(fixture)).toBe(before);
  });

  it("answers 403 per item when an agent deletes, and runs the agent's other operations", async () => {
    const target = (await api("POST", "/v1/contacts", { name: "Protected" })).body;
    const res = await fixture.agentApi("POST", "/v1/contacts/batch", {
      operations: [
        { op: "delete", id: target.id },
        { op: "create", data: { name: "By agent" } },
        { op: "update", id: target.id, data: { name: "Renamed by agent" } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((result: { status: number }) => result.status)).toEqual([403, 201, 200]);
    expect(res.body.results[0].error).toMatchObject({ type: "permission_error", code: "forbidden" });
    expect((await api("GET", `/v1/contacts/${target.id}`)).body.name).toBe("Renamed by agent");
  });

  it("answers 404 per item for another account's contacts and leaves them alone", async () => {
    const theirs = (
      await otherApi("POST", "/v1/contacts", { name: "Theirs", email: "theirs@example.com", identifier: "their-1" })
    ).body;
    const res = await api("POST", "/v1/contacts/batch", {
      operations: [
        { op: "update", id: theirs.id, data: { name: "Hijacked" } },
        { op: "delete", id: theirs.id },
        { op: "upsert", data: { email: "theirs@example.com", identifier: "their-1", name: "Mine" } },
      ],
    });
    expect(res.body.results.map((result: { status: number }) => result.status)).toEqual([404, 404, 201]);
    expect(res.body.results[2].contact.organization_id).toBe(String(fixture.admin.accountId));
    expect(res.body.results[2].id).not.toBe(theirs.id);
    expect((await otherApi("GET", `/v1/contacts/${theirs.id}`)).body).toEqual(theirs);
    expect(JSON.stringify(res.body)).not.toContain("Theirs");
  });

  it("replays a batch retried with the same Idempotency-Key without running it again", async () => {
    const headers = { "idempotency-key": "batch-retry-1" };
    const body = { operations: [{ op: "create", data: { name: "Once", email: "once@example.com" } }] };
    const first = await api("POST", "/v1/contacts/batch", body, headers);
    const second = await api("POST", "/v1/contacts/batch", body, headers);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(first.body.results[0].status).toBe(201);
    expect(await countHolding(fixture, { email: "once@example.com" })).toBe(1);
  });

  it("answers an empty batch with no results", async () => {
    const res = await api("POST", "/v1/contacts/batch", { operations: [] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ object_name: "batch", results: [], counts: { succeeded: 0, failed: 0 } });
  });
});
