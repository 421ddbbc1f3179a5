import { request as httpRequest } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, httpClient, newAccount, type TestServer, useServer } from "./harness.js";
import { MULTIPART, multipartBody, upload } from "./upload-helpers.js";

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

  /** The key's row as a process that died mid-request leaves it: no answer, a minute and more old. */
  const abandon = (key: string, applied: boolean) =>
    server.db.execute(sql`
      UPDATE idempotency_keys
      SET status_code = NULL, response_body = NULL, created_at = now() - interval '2 minutes',
        applied_at = CASE WHEN ${applied}::boolean THEN now() - interval '2 minutes' END
      WHERE account_id = ${fixture.admin.accountId} AND key = ${key}`);

  it("runs a request again when its process died before it wrote anything", async () => {
    const headers = { "idempotency-key": "died-before-writing" };
    // A claim that never got to its write: the request is refused (no such contact), so nothing is written.
    const refused = await api("POST", "/v1/contacts/999999999/comments", { text: "x" }, headers);
    expect(refused.status).toBe(404);
    await abandon("died-before-writing", false);
    const retry = await api("POST", "/v1/contacts/999999999/comments", { text: "x" }, headers);
    expect(retry.status).toBe(404);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("never runs again a request that wrote but whose answer was lost: 409 saying so", async () => {
    const headers = { "idempotency-key": "answer-lost" };
    const first = await api("POST", "/v1/contacts", { name: "Idem Lost" }, headers);
    expect(first.status).toBe(201);
    await abandon("answer-lost", true);
    const retry = await api("POST", "/v1/contacts", { name: "Idem Lost" }, headers);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("idempotency_answer_lost");
    expect(await countNamed("Idem Lost")).toBe(1);
  });

  it("does not keep an API key's secret for replay: a retry is told the answer was withheld", async () => {
    const me = (await api("GET", "/v1/me")).body;
    const headers = { "idempotency-key": "issue-key" };
    const first = await api("POST", `/v1/users/${me.user.id}/api_keys`, { name: "once" }, headers);
    expect(first.status).toBe(201);
    expect(typeof first.body.secret).toBe("string");
    const [row] = await server.db.query<{ status_code: number; response_body: string | null }>(sql`
      SELECT status_code, response_body FROM idempotency_keys
      WHERE account_id = ${fixture.admin.accountId} AND key = 'issue-key'`);
    expect(row).toEqual({ status_code: 201, response_body: null });
    const retry = await api("POST", `/v1/users/${me.user.id}/api_keys`, { name: "once" }, headers);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("idempotency_answer_withheld");
    const keys = (await api("GET", "/v1/api_keys")).body.data.filter((key: { name: string }) => key.name === "once");
    expect(keys).toHaveLength(1);
  });

  it("keeps the claim of a long upload alive, so a retry meanwhile waits instead of running it twice", {
    timeout: 60_000,
  }, async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Slow Upload" })).body.id as string;
    const body = multipartBody([
      { name: "file", filename: "slow.txt", contentType: "text/plain", data: "x".repeat(1000) },
    ]);
    const headers = { "idempotency-key": "slow-upload" };
    const url = new URL(`${server.url}/v1/contacts/${contact}/files`);
    const request = httpRequest(url, {
      method: "POST",
      headers: {
        authorization: basicAuth(fixture.admin),
        "content-type": MULTIPART,
        "content-length": String(body.length),
        ...headers,
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
    });
    request.write(body.subarray(0, 100));
    // The upload has been going on for two minutes, as far as the claim's age tells.
    const claimed = async () =>
      (
        await server.db.query<{ age: number }>(sql`
          SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM idempotency_keys
          WHERE account_id = ${fixture.admin.accountId} AND key = 'slow-upload'`)
      )[0]?.age;
    for (let i = 0; i < 200 && (await claimed()) === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    await server.db.execute(sql`
      UPDATE idempotency_keys SET created_at = now() - interval '2 minutes'
      WHERE account_id = ${fixture.admin.accountId} AND key = 'slow-upload'`);
    // Its request renews the claim while it runs (every 15 s).
    const by = Date.now() + 30_000;
    while (((await claimed()) ?? 0) > 60 && Date.now() < by) await new Promise((r) => setTimeout(r, 250));
    expect(await claimed()).toBeLessThan(60);
    const retry = await upload(
      url.href,
      basicAuth(fixture.admin),
      { data: "x".repeat(1000), filename: "slow.txt", contentType: "text/plain" },
      { headers },
    );
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("idempotency_in_progress");
    request.end(body.subarray(100));
    expect(await answered).toBe(201);
    expect((await api("GET", `/v1/contacts/${contact}/files`)).body.data).toHaveLength(1);
  });
});
