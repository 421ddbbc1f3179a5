import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimitedError } from "../src/core/errors.js";
import { RateLimiter } from "../src/core/limits/rate-limiter.js";
import { sql } from "../src/store/sql.js";
import { basicAuth, type Credentials, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

const LIMIT = 30;

/** Per-credential requests per minute, counted by every process on the database together. */
describe("rate limiting", () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startServer({ rateLimitPerMinute: LIMIT });
    // A second process on the same database, as behind a load balancer.
    second = await startServer({ db: first.db, rateLimitPerMinute: LIMIT });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  /**
   * Counts are per clock minute: a test that must stay in one window starts at least 15 s before
   * the next one (waiting for it when nearer), so a window edge cannot reset the count midway.
   */
  async function awayFromMinuteEdge(): Promise<void> {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
  }

  async function contactsOf(credentials: Credentials): Promise<number> {
    const [row] = await first.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${credentials.accountId}`,
    );
    return row?.n ?? -1;
  }

  it("counts down in RateLimit headers, then answers 429 with Retry-After and changes nothing", async () => {
    const owner = await newAccount(first.db);
    const api = httpClient(first.url, basicAuth(owner));
    await awayFromMinuteEdge();
    for (let n = 1; n <= LIMIT; n++) {
      const answer = await api("GET", "/v1/contacts?limit=1");
      expect(answer.status).toBe(200);
      expect(answer.headers.get("ratelimit-limit")).toBe(String(LIMIT));
      expect(answer.headers.get("ratelimit-remaining")).toBe(String(LIMIT - n));
      const reset = Number(answer.headers.get("ratelimit-reset"));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
    }
    const refused = await api("POST", "/v1/contacts", { name: "Over the limit" });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
    expect(refused.body.error.request_id).toEqual(expect.any(String));
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(await contactsOf(owner)).toBe(0);

    // Other credentials have their own count, in every face.
    const other = await newAccount(first.db);
    expect((await httpClient(first.url, basicAuth(other))("GET", "/v1/contacts")).status).toBe(200);
    const chatwoot = await fetch(`${first.url}/api/v1/accounts/${owner.accountId}/contacts`, {
      headers: { api_access_token: owner.token },
    });
    expect(chatwoot.status).toBe(429);
    expect(chatwoot.headers.get("retry-after")).not.toBeNull();
  });

  it("shares one count between processes: together they admit the limit, no more", async () => {
    const owner = await newAccount(first.db);
    const viaFirst = httpClient(first.url, basicAuth(owner));
    const viaSecond = httpClient(second.url, basicAuth(owner));
    const statuses: number[] = [];
    await awayFromMinuteEdge();
    for (let n = 0; n < 25; n++) statuses.push((await viaFirst("GET", "/v1/contacts?limit=1")).status);
    for (let n = 0; n < 10; n++) statuses.push((await viaSecond("GET", "/v1/contacts?limit=1")).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.slice(LIMIT).every((status) => status === 429)).toBe(true);
  });

  it("admits the limit exactly under 60 parallel requests spread over both processes", async () => {
    const owner = await newAccount(first.db);
    const apis = [httpClient(first.url, basicAuth(owner)), httpClient(second.url, basicAuth(owner))];
    await awayFromMinuteEdge();
    // Both processes learn of the credential first, as they would after its first requests.
    for (const api of apis) expect((await api("GET", "/v1/contacts?limit=1")).status).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, n) => (apis[n % 2] as (typeof apis)[0])("GET", "/v1/contacts?limit=1")),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(LIMIT - 2);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(60 - (LIMIT - 2));
  });

  it("does not limit requests without credentials, which fail on their own", async () => {
    const anonymous = httpClient(first.url);
    for (let n = 0; n < LIMIT + 5; n++) expect((await anonymous("GET", "/v1/contacts")).status).toBe(401);
  });

  it("starts every credential's count again with each minute, and leases shares of larger limits", async () => {
    const owner = await newAccount(first.db);
    const actor = {
      accountId: owner.accountId,
      userId: owner.userId,
      role: "administrator" as const,
      credentialId: owner.keyId,
    };
    let now = Date.UTC(2026, 11, 5, 12, 0, 30);
    const limiter = new RateLimiter(first.db, 200, () => now);
    for (let n = 0; n < 200; n++) await limiter.take(actor);
    await expect(Promise.resolve().then(() => limiter.take(actor))).rejects.toBeInstanceOf(RateLimitedError);
    const [window] = await first.db.query<{ requests: number }>(
      sql`SELECT requests FROM rate_limit_windows WHERE account_id = ${owner.accountId} AND credential_id = ${owner.keyId}`,
    );
    // 200 requests in shares of 2 (1 % of the limit): 100 leases, and nothing leased past the limit.
    expect(window?.requests).toBe(200);
    now += 30_000;
    const quota = await limiter.take(actor);
    expect(quota).toEqual({ limit: 200, remaining: 199, resetSeconds: 60 });
  });
});
