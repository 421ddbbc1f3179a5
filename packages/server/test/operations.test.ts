import { hostname } from "node:os";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { Metrics } from "../src/metrics.js";
import { sql } from "../src/store/sql.js";
import { backend, basicAuth, httpClient, newAccount, startServer, type TestServer } from "./harness.js";
import { startReceiver } from "./webhook-receiver.js";

/** What operators and their tools ask without credentials: /healthz, /readyz, /metrics. */

const RETRIES = { timeoutMs: 2000, maxAttempts: 2, retryBaseMs: 20, retryMaxMs: 50 };
let server: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  // A database of its own: the readiness test takes a migration away for a moment.
  server = await startServer({ background: true, isolated: true, webhooks: RETRIES });
  receiver = await startReceiver((request) => (request.payload.data.changes?.name?.to === "Refused" ? 500 : 204));
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

const get = (path: string) => fetch(`${server.url}${path}`);

/** One sample's value from the exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? "";
    if (wanted.every((pair) => labelText.split(",").includes(pair))) return Number(line.split(" ").at(-1));
  }
  return undefined;
}

describe("health and readiness", () => {
  it("answers /healthz and /readyz without credentials", async () => {
    expect(await (await get("/healthz")).json()).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("is not ready while a migration this version ships is missing from the database", async () => {
    const [latest] = await server.db.query<{ version: string }>(
      sql`SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1`,
    );
    await server.db.execute(sql`DELETE FROM schema_migrations WHERE version = ${latest?.version}`);
    try {
      const answer = await get("/readyz");
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({
        status: "not_ready",
        reason: "migrations_pending",
        pending_migrations: [latest?.version],
      });
    } finally {
      await server.db.execute(sql`INSERT INTO schema_migrations (version) VALUES (${latest?.version})`);
    }
    expect((await get("/readyz")).status).toBe(200);
  });

  it("turns traffic away from /readyz while shutting down, and still answers /healthz", async () => {
    const lifecycle = { draining: false };
    const draining = await startServer({ lifecycle });
    try {
      expect((await fetch(`${draining.url}/readyz`)).status).toBe(200);
      lifecycle.draining = true;
      const answer = await fetch(`${draining.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({ status: "not_ready", reason: "shutting_down" });
      expect((await fetch(`${draining.url}/healthz`)).status).toBe(200);
    } finally {
      await draining.close();
    }
  });
});

describe("/metrics", () => {
  it("counts requests per route pattern and status, with latency histograms", async () => {
    const admin = await newAccount(server.db);
    const api = httpClient(server.url, basicAuth(admin));
    const created = await api("POST", "/v1/contacts", { name: "Measured" });
    for (let i = 0; i < 3; i++) await api("GET", `/v1/contacts/${created.body.id}`);
    await api("GET", "/v1/contacts/999999999");
    await fetch(`${server.url}/no/such/path/${Date.now()}`);

    const answer = await get("/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("text/plain");
    const text = await answer.text();
    const route = "/v1/contacts/:id";
    expect(sample(text, "contactd_http_requests_total", { method: "GET", route, status: "200" })).toBe(3);
    expect(sample(text, "contactd_http_requests_total", { method: "GET", route, status: "404" })).toBe(1);
    expect(sample(text, "contactd_http_requests_total", { route: "(unmatched)", status: "404" })).toBe(1);
    expect(text).not.toContain("/no/such/path");
    expect(sample(text, "contactd_http_request_duration_seconds_count", { method: "GET", route })).toBe(4);
    expect(sample(text, "contactd_http_request_duration_seconds_bucket", { method: "GET", route, le: "+Inf" })).toBe(4);
    expect(sample(text, "contactd_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("shows the queues and the database pool", async () => {
    const text = await (await get("/metrics")).text();
    for (const queue of ["events", "webhook_deliveries", "imports", "exports"]) {
      expect(sample(text, "contactd_queue_depth", { queue }), queue).toBeGreaterThanOrEqual(0);
    }
    if (backend === "postgres") {
      expect(sample(text, "contactd_db_pool_connections", { state: "open" })).toBeGreaterThan(0);
      expect(sample(text, "contactd_db_pool_connections", { state: "waiting" })).toBe(0);
    } else {
      expect(sample(text, "contactd_db_pool_connections", { state: "open" })).toBeUndefined();
    }
  });

  it("counts queued imports, and webhook deliveries by outcome", async () => {
    const admin = await newAccount(server.db);
    const api = httpClient(server.url, basicAuth(admin));
    await api("POST", "/v1/webhooks", { url: receiver.url, events: ["contact.created"] });
    await api("POST", "/v1/contacts", { name: "Delivered" });
    await api("POST", "/v1/contacts", { name: "Refused" });
    // The refused one is tried twice (maxAttempts), then given up.
    await receiver.waitFor((received) => received.filter((r) => r.answer === 500).length >= 2);
    await receiver.waitFor((received) => received.some((r) => r.answer === 204));
    let text = "";
    for (let tries = 0; tries < 100; tries++) {
      text = await (await get("/metrics")).text();
      if (sample(text, "contactd_webhook_deliveries_total", { outcome: "failed" }) === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sample(text, "contactd_webhook_deliveries_total", { outcome: "delivered" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "contactd_webhook_deliveries_total", { outcome: "retrying" })).toBe(1);
    expect(sample(text, "contactd_webhook_deliveries_total", { outcome: "failed" })).toBe(1);

    // An import waits for a worker (test servers run none for imports): one more in the queue.
    const before = sample(text, "contactd_queue_depth", { queue: "imports" }) ?? 0;
    const { multipartBody, MULTIPART } = await import("./upload-helpers.js");
    const queued = await fetch(`${server.url}/v1/imports`, {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: multipartBody([{ name: "file", filename: "q.csv", contentType: "text/csv", data: "name\nQueued\n" }]),
    });
    expect(queued.status).toBe(202);
    const after = await (await get("/metrics")).text();
    expect(sample(after, "contactd_queue_depth", { queue: "imports" })).toBe(before + 1);
  });
});

describe("access log", () => {
  /** An app on the test server's core whose log lines are kept, parsed. */
  async function loggingApp(logLevel: string) {
    const lines: Array<Record<string, unknown>> = [];
    const logDestination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = await buildApp({ core: server.core, logLevel, logDestination, metrics: new Metrics(server.core) });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    return { lines, url, close: () => app.close() };
  }

  it("writes one line per answered request, in the shape of the logger's own lines", async () => {
    const logging = await loggingApp("info");
    try {
      const answer = await fetch(`${logging.url}/healthz`);
      const missing = await fetch(`${logging.url}/v1/contacts/%22%C3%A9%22`);
      const lines = logging.lines.filter((line) => line.msg === "request");
      expect(lines).toHaveLength(2);
      const [health, refused] = lines;
      expect(Object.keys(health ?? {})).toEqual([
        "level",
        "time",
        "pid",
        "hostname",
        "reqId",
        "method",
        "url",
        "status",
        "ms",
        "msg",
      ]);
      expect(health).toMatchObject({ level: 30, pid: process.pid, hostname: hostname(), method: "GET" });
      expect(health).toMatchObject({ url: "/healthz", status: 200, reqId: answer.headers.get("x-request-id") });
      expect(Math.abs(Number(health?.time) - Date.now())).toBeLessThan(60_000);
      expect(health?.ms).toBeGreaterThanOrEqual(0);
      expect(refused).toMatchObject({ url: "/v1/contacts/%22%C3%A9%22", status: missing.status });
      expect(missing.status).toBe(401);
    } finally {
      await logging.close();
    }
  });

  it("writes none when the log level is above info", async () => {
    const logging = await loggingApp("warn");
    try {
      await fetch(`${logging.url}/healthz`);
      expect(logging.lines.filter((line) => line.msg === "request")).toEqual([]);
    } finally {
      await logging.close();
    }
  });
});
