import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, type Credentials, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

/** Limits on what one request may take: its body, its query, and its time. */
describe("request limits", () => {
  let server: TestServer;
  let admin: Credentials;
  beforeAll(async () => {
    server = await startServer({ bodyLimit: 64 * 1024, requestTimeout: 1000 });
    admin = await newAccount(server.db);
  });
  afterAll(() => server.close());

  async function contacts(): Promise<number> {
    const [row] = await server.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${admin.accountId}`,
    );
    return row?.n ?? -1;
  }

  /** Sends the head and part of a body over a raw socket, then waits for what the server says. */
  function slowBody(path: string, sent: string, declared: number): Promise<{ answer: string; ms: number }> {
    const url = new URL(server.url);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${basicAuth(admin)}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${sent}`,
        );
      });
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk.toString();
      });
      socket.on("close", () => resolve({ answer, ms: Date.now() - started }));
      socket.on("error", reject);
      setTimeout(() => socket.destroy(), 10_000);
    });
  }

  it("answers a body that stops coming with 408 once the request timeout passes, and writes nothing", async () => {
    const { answer, ms } = await slowBody("/v1/contacts", '{"name": "Slow', 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
    expect(await contacts()).toBe(0);
  });

  it("refuses a body over the limit with 413 in the error shape, before reading it all", async () => {
    const api = httpClient(server.url, basicAuth(admin));
    const big = await api("POST", "/v1/contacts", { name: "Big", custom_attributes: { blob: "x".repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    expect(await contacts()).toBe(0);
  });

  it("refuses an oversized URL with 414 or 431 and a query value over its bound with 4xx", async () => {
    const api = httpClient(server.url, basicAuth(admin));
    const huge = await fetch(`${server.url}/v1/contacts/search?q=${"a".repeat(100_000)}`, {
      headers: { authorization: basicAuth(admin) },
    });
    expect([414, 431]).toContain(huge.status);
    const long = await api("GET", `/v1/contacts/search?q=${"a".repeat(2_000)}`);
    expect(long.status).toBe(422);
    expect(long.body.error.type).toBe("invalid_request_error");
    const many = await api("GET", `/v1/contacts?${Array.from({ length: 200 }, (_, n) => `labels=l${n}`).join("&")}`);
    expect(many.status).toBeGreaterThanOrEqual(400);
    expect(many.status).toBeLessThan(500);
  });
});
