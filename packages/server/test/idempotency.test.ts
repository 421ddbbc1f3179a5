import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, httpClient, newAccount, type TestServer, useServer } from "./harness.js";

describe("Idempotency-Key on POST", () => {
  const fixture = useServer();
  let server: TestServer;
  let api: ReturnType<typeof httpClient>;
  beforeAll(() => {
    ({ server, api } = fixture);
  });

  const countNamed = async (name: string) =>
    (await api("GET", `/v1/contacts/search?q=${encodeURIComponent(name)}&limit=200`)).body.data.length;

  it("replays the first response to a retry and creates one contact", async () => {
    const headers = { "idempotency-key": "retry-1" };
    const first = await api("POST", "/v1/contacts", { name: "Idem One" }, headers);
    const second = await api("POST", "/v1/contacts", { name: "Idem One" }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await countNamed("Idem One")).toBe(1);
  });

  it("replays a refusal too, so a retry cannot succeed differently", async () => {
    await api("POST", "/v1/contacts", { email: "idem-taken@example.com" });
    const headers = { "idempotency-key": "retry-409" };
    const first = await api("POST", "/v1/contacts", { email: "idem-taken@example.com" }, headers);
    const second = await api("POST", "/v1/contacts", { email: "idem-taken@example.com" }, headers);
    expect(first.status).toBe(409);
    expect(second.status).toBe(409);
    expect(second.body.error.existing_id).toBe(first.body.error.existing_id);
  });

  it("refuses a key reused for a different request", async () => {
    const headers = { "idempotency-key": "reused" };
    await api("POST", "/v1/contacts", { name: "Idem A" }, headers);
    const other = await api("POST", "/v1/contacts", { name: "Idem B" }, headers);
    expect(other.status).toBe(422);
    expect(other.body.error.details[0]).toMatchObject({ field: "Idempotency-Key", code: "key_reused" });
    expect(await countNamed("Idem B")).toBe(0);
  });

  it("runs concurrent twins once: one creates, the other waits its turn or replays", async () => {
    const headers = { "idempotency-key": "twins" };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api("POST", "/v1/contacts", { name: "Idem Twin" }, headers)),
    );
    for (const res of results) expect([201, 409]).toContain(res.status);
    const created = results.filter((r) => r.status === 201);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const res of results.filter((r) => r.status === 409)) {
      expect(res.body.error.code).toBe("idempotency_in_progress");
    }
    expect(await countNamed("Idem Twin")).toBe(1);
  });

  it("keeps keys per account", async () => {
    const other = httpClient(server.url, basicAuth(await newAccount(server.db)));
    const headers = { "idempotency-key": "shared-key" };
    const mine = await api("POST", "/v1/contacts", { name: "Mine" }, headers);
    const theirs = await other("POST", "/v1/contacts", { name: "Theirs" }, headers);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
  });

  it("refuses a malformed key", async () => {
    const res = await api("POST", "/v1/contacts", { name: "x" }, { "idempotency-key": "has space" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_idempotency_key");
  });
});
