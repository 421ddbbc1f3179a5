import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requestFingerprint } from "../../server/src/core/idempotency/replay.js";
import { type Credentials, newAccount, startServer, type TestServer } from "../../server/test/harness.js";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  ConflictError,
  type Contact,
  Contactd,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  UnprocessableEntityError,
} from "../src/index.js";
import { parseRetryAfter, retryDelay } from "../src/retry.js";
import { closedPort, type Script, type ScriptedServer, startScriptedServer } from "./scripted-server.js";

/**
 * Retries, timeouts and idempotency over real sockets: a scripted HTTP server on 127.0.0.1 sits
 * in front of the real contactd server and fails the attempts a test chooses.
 */

let server: TestServer;
let admin: Credentials;
let direct: Contactd;
const scripted: ScriptedServer[] = [];

beforeAll(async () => {
  server = await startServer();
  admin = await newAccount(server.db);
  direct = new Contactd({ baseUrl: server.url, token: admin.token });
});

afterEach(async () => {
  await Promise.all(scripted.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await server?.close();
});

async function through(script: Script, options: { maxRetries?: number; timeout?: number } = {}) {
  const front = await startScriptedServer(script, server.url);
  scripted.push(front);
  const client = new Contactd({ baseUrl: front.url, token: admin.token, ...options });
  return { front, client };
}

const unavailable = {
  status: 503,
  headers: { "content-type": "application/json" },
  body: '{"error":{"type":"api_error","code":"unavailable","message":"try later","request_id":"req_front"}}',
};

async function countByEmail(email: string): Promise<number> {
  let count = 0;
  for await (const contact of direct.contacts.search(email)) if (contact.email === email) count++;
  return count;
}

describe("retries", () => {
  it("retries a POST after 503s with one Idempotency-Key, backing off between attempts", async () => {
    const { front, client } = await through((_, i) => (i < 2 ? unavailable : "forward"));
    const started = Date.now();
    const contact = await client.contacts.create({ name: "Retried", email: "retried@example.com" });
    const elapsed = Date.now() - started;

    expect(front.attempts).toHaveLength(3);
    const keys = front.attempts.map((a) => a.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^sdk-[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(new Set(front.attempts.map((a) => a.body)).size).toBe(1);
    expect(front.attempts[2]?.forwarded?.status).toBe(201);
    expect(contact.email).toBe("retried@example.com");
    // Backoff without Retry-After: ~500 ms then ~1000 ms, each less at most 25% jitter.
    expect(elapsed).toBeGreaterThanOrEqual(1100);
    expect(await countByEmail("retried@example.com")).toBe(1);
  });

  it("a retry after a lost response replays the first result instead of creating twice", async () => {
    const { front, client } = await through((_, i) =>
      i === 0 ? "forward-then-503" : i === 1 ? { status: 429, headers: { "retry-after": "0" } } : "forward",
    );
    const contact = await client.contacts.create({ name: "Lost", email: "lost@example.com" });

    expect(front.attempts).toHaveLength(3);
    expect(new Set(front.attempts.map((a) => a.headers["idempotency-key"])).size).toBe(1);
    const first = JSON.parse(front.attempts[0]?.forwarded?.body ?? "{}") as Contact;
    expect(front.attempts[0]?.forwarded?.status).toBe(201);
    expect(contact.id).toBe(first.id);
    expect(front.attempts[2]?.forwarded?.headers.get("idempotent-replayed")).toBe("true");
    expect(await countByEmail("lost@example.com")).toBe(1);
  });

  it("each logical POST gets a key of its own; an explicit key is sent verbatim on every attempt", async () => {
    const { front, client } = await through((_, i) =>
      i === 0 ? { status: 503, headers: { "retry-after": "0" } } : "forward",
    );
    await client.contacts.create({ name: "Key 1" });
    await client.contacts.create({ name: "Key 2" }, { idempotencyKey: "caller-chosen-key-1" });
    const keys = front.attempts.map((a) => a.headers["idempotency-key"]);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).toBe("caller-chosen-key-1");
  });

  it("retries GET and PATCH without an Idempotency-Key", async () => {
    const contact = await direct.contacts.create({ name: "Reader" });
    const { front, client } = await through((a) =>
      front.attempts.filter((b) => b.method === a.method).length === 1
        ? { status: 503, headers: { "retry-after": "0" } }
        : "forward",
    );
    expect((await client.contacts.get(contact.id)).id).toBe(contact.id);
    expect((await client.contacts.update(contact.id, { name: "Reader 2" })).name).toBe("Reader 2");
    expect(front.attempts.map((a) => a.method)).toEqual(["GET", "GET", "PATCH", "PATCH"]);
    for (const attempt of front.attempts) expect(attempt.headers["idempotency-key"]).toBeUndefined();
  });

  it("retries 409 concurrent_change: the server changed nothing and says to retry", async () => {
    const lostRace = {
      status: 409,
      headers: { "content-type": "application/json" },
      body: '{"error":{"type":"conflict_error","code":"concurrent_change","message":"retry","request_id":"req_x"}}',
    };
    const { front, client } = await through((_, i) => (i === 0 ? lostRace : "forward"));
    const merged = await client.contacts.create({ name: "Raced" });
    expect(merged.name).toBe("Raced");
    expect(front.attempts).toHaveLength(2);
  });

  it("retries 409 idempotency_in_progress but no other conflict, and no 404", async () => {
    const inProgress = {
      status: 409,
      headers: { "content-type": "application/json", "retry-after": "0" },
      body: '{"error":{"type":"conflict_error","code":"idempotency_in_progress","message":"busy","request_id":"req_x"}}',
    };
    const { front, client } = await through((_, i) => (i === 0 ? inProgress : "forward"));
    const created = await client.contacts.create({ name: "Busy", email: "busy@example.com" });
    expect(front.attempts).toHaveLength(2);

    const conflict = client.contacts.create({ name: "Busy again", email: "busy@example.com" });
    await expect(conflict).rejects.toBeInstanceOf(ConflictError);
    await expect(conflict).rejects.toMatchObject({ existingId: created.id, code: "email_taken" });
    expect(front.attempts).toHaveLength(3);

    await expect(client.contacts.get("987654321")).rejects.toBeInstanceOf(NotFoundError);
    expect(front.attempts).toHaveLength(4);
  });

  it("gives up after maxRetries and throws the last error", async () => {
    const { front, client } = await through(
      () => ({ ...unavailable, headers: { ...unavailable.headers, "retry-after": "0" } }),
      {
        maxRetries: 1,
      },
    );
    const error = await client.contacts.list().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 503, code: "unavailable", requestId: "req_front", message: "try later" });
    expect(front.attempts).toHaveLength(2);

    await expect(client.me({ maxRetries: 0 })).rejects.toBeInstanceOf(InternalServerError);
    expect(front.attempts).toHaveLength(3);
  });

  it("honours Retry-After on a 429, as seconds and as an HTTP date", async () => {
    const { front, client } = await through((_, i) =>
      i === 0
        ? { status: 429, headers: { "retry-after": "1" } }
        : i === 2
          ? { status: 429, headers: { "retry-after": new Date(Date.now() + 2000).toUTCString() } }
          : "forward",
    );
    let started = Date.now();
    await client.me();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    started = Date.now();
    await client.me();
    // The date has whole seconds, so the wait is between 1 and 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(front.attempts).toHaveLength(4);

    const limited = await through(() => ({ status: 429, headers: { "retry-after": "0" } }), { maxRetries: 0 });
    await expect(limited.client.me()).rejects.toBeInstanceOf(RateLimitError);
  });

  it("computes backoff and Retry-After waits within their bounds", () => {
    expect(retryDelay(0, null, () => 0)).toBe(500);
    expect(retryDelay(0, null, () => 1)).toBe(375);
    expect(retryDelay(1, null, () => 0)).toBe(1000);
    expect(retryDelay(10, null, () => 0)).toBe(8000);
    expect(retryDelay(0, "3")).toBe(3000);
    expect(retryDelay(0, "3600")).toBe(60_000);
    expect(retryDelay(0, "soon", () => 0)).toBe(500);
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Mon, 31 Dec 2029 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("answers that are not the API's", () => {
  it("a non-JSON error body still becomes an APIError, with the status text as message", async () => {
    const { client } = await through(
      () => ({
        status: 502,
        headers: { "content-type": "text/html", "x-request-id": "req_from_proxy" },
        body: "<h1>Bad Gateway</h1>",
      }),
      { maxRetries: 0 },
    );
    const error = await client.contacts.get("1").then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      status: 502,
      message: "Bad Gateway",
      body: "<h1>Bad Gateway</h1>",
      requestId: "req_from_proxy",
    });
    expect((error as InternalServerError).code).toBeUndefined();
  });

  it("an empty 2xx body resolves to undefined", async () => {
    const { client } = await through((_, i) => (i === 0 ? { status: 204 } : { status: 200, body: "" }));
    await expect(client.me()).resolves.toBeUndefined();
    await expect(client.contacts.delete("5")).resolves.toBeUndefined();
  });

  it("uses the given fetch and sends default and per-request headers, the credentials over the defaults", async () => {
    const { front } = await through(() => "forward");
    const seen: string[] = [];
    const client = new Contactd({
      baseUrl: `${front.url}/`,
      token: admin.token,
      defaultHeaders: { "x-team": "blue", "x-trace": "default", Authorization: "Bearer not-the-credentials" },
      fetch: (url, init) => {
        seen.push(`${init.method} ${url}`);
        return fetch(url, init);
      },
    });
    await client.contacts.list({ limit: 2, labels: ["a", "b"], sort: "name" }, { headers: { "X-Trace": "override" } });
    expect(seen).toEqual([`GET ${front.url}/v1/contacts?limit=2&sort=name&labels=a&labels=b`]);
    expect(front.attempts[0]?.headers).toMatchObject({
      "x-team": "blue",
      "x-trace": "override",
      authorization: `Bearer ${admin.token}`,
      accept: "application/json",
    });
  });
});

describe("connection failures", () => {
  it("APIConnectionError when nothing listens, with maxRetries 0", async () => {
    const client = new Contactd({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      token: admin.token,
      maxRetries: 0,
    });
    const error = await client.contacts.list().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect((error as Error).name).toBe("APIConnectionError");
    expect((error as Error).cause).toBeDefined();
  });

  it("APIConnectionTimeoutError when the server never answers, retried like any timeout", async () => {
    const { front, client } = await through(() => "hang", { timeout: 150, maxRetries: 0 });
    const started = Date.now();
    const error = await client.contacts.create({ name: "Slow" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as Error).name).toBe("APIConnectionTimeoutError");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(front.attempts).toHaveLength(1);

    await expect(client.me({ maxRetries: 1, timeout: 100 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    expect(front.attempts).toHaveLength(3);
  });

  it("the caller's AbortSignal stops the call at once, without retries", async () => {
    const { front, client } = await through(() => "hang", { maxRetries: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(client.contacts.list({}, { signal: controller.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(front.attempts).toHaveLength(1);
    await expect(client.me({ signal: controller.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(front.attempts).toHaveLength(1);
  });
});

describe("idempotency against contactd itself", () => {
  it("two creates with the same explicit key make one contact and return the same id", async () => {
    const input = { name: "Once", email: "once@example.com" };
    const first = await direct.contacts.create(input, { idempotencyKey: "create-once-1" });
    const second = await direct.contacts.create(input, { idempotencyKey: "create-once-1" });
    expect(second.id).toBe(first.id);
    expect(second).toEqual(first);
    expect(await countByEmail("once@example.com")).toBe(1);

    const third = await direct.contacts.create({ name: "Other" }, { idempotencyKey: "create-once-2" });
    expect(third.id).not.toBe(first.id);
  });

  it("waits out a key that is still in progress (409), then succeeds once its holder gives up", async () => {
    const input = { name: "Held", email: "held@example.com" };
    const actor = {
      accountId: admin.accountId,
      userId: admin.userId,
      role: "administrator" as const,
      credentialId: admin.keyId,
    };
    // Another request holding the key mid-flight, as contactd itself records it.
    const claim = await server.core.idempotency.claim(
      actor,
      "held-key-1",
      requestFingerprint("POST", "/v1/contacts", input),
    );
    expect(claim.kind).toBe("proceed");
    const started = Date.now();
    const creating = direct.contacts.create(input, { idempotencyKey: "held-key-1", maxRetries: 5 });
    // The holder fails with a 5xx, which frees the key for the waiting retry.
    setTimeout(() => void server.core.idempotency.finish(actor, "held-key-1", 500, ""), 300);
    const contact = await creating;
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(contact.email).toBe("held@example.com");
    expect(await countByEmail("held@example.com")).toBe(1);
  });

  it("concurrent twins with one key both get the one contact", async () => {
    const input = { name: "Twin", email: "twin@example.com" };
    const [a, b] = await Promise.all([
      direct.contacts.create(input, { idempotencyKey: "twin-key-1" }),
      direct.contacts.create(input, { idempotencyKey: "twin-key-1" }),
    ]);
    expect(a.id).toBe(b.id);
    expect(await countByEmail("twin@example.com")).toBe(1);
  });

  it("reusing a key for a different body is refused, not replayed", async () => {
    await direct.contacts.create({ name: "Key owner" }, { idempotencyKey: "reused-key-1" });
    const reuse = direct.contacts.create({ name: "Someone else" }, { idempotencyKey: "reused-key-1" });
    await expect(reuse).rejects.toBeInstanceOf(UnprocessableEntityError);
    await expect(reuse).rejects.toMatchObject({ details: [{ field: "Idempotency-Key", code: "key_reused" }] });
  });
});
