import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, httpClient, newAccount, newAgent, startServer, type TestServer } from "./harness.js";
import { type Received, signatureIsValid, startReceiver } from "./webhook-receiver.js";

/** Webhooks end to end: the real server with its background sender, and real receivers on 127.0.0.1. */

const RETRIES = { timeoutMs: 2000, maxAttempts: 4, retryBaseMs: 30, retryMaxMs: 200 };
/** For tests about hanging endpoints: no attempt times out while the test looks, however slow the machine. */
const PATIENT = { ...RETRIES, timeoutMs: 30_000 };

let server: TestServer;
const receivers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  server = await startServer({ background: true, webhooks: RETRIES });
});
afterAll(async () => {
  // Receivers first: closing a hanging request ends its attempt, which a stopping server waits for.
  for (const receiver of receivers) await receiver.close();
  await server.close();
});

/** An account of its own, so its endpoints see only this test's events. */
async function team(on = server) {
  const admin = await newAccount(on.db);
  return { admin, api: httpClient(on.url, basicAuth(admin)) };
}

async function receiver(...args: Parameters<typeof startReceiver>) {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

const typesOf = (received: Received[]) => received.map((r) => r.payload.type);

describe("webhook endpoints", () => {
  it("are registered, listed, changed, rotated and removed by administrators only", async () => {
    const { admin, api } = await team();
    const created = await api("POST", "/v1/webhooks", {
      url: "https://hooks.example.com/contactd",
      events: ["contact.created", "contact.updated"],
      description: "CRM sync",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object_name: "webhook",
      url: "https://hooks.example.com/contactd",
      events: ["contact.created", "contact.updated"],
      description: "CRM sync",
      include_system_changes: false,
      active: true,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const id = created.body.id;

    const listed = (await api("GET", "/v1/webhooks")).body;
    expect(listed).toMatchObject({ object_name: "list", total: 1 });
    expect(listed.data[0].secret).toBeUndefined();
    expect((await api("GET", `/v1/webhooks/${id}`)).body.secret).toBeUndefined();

    const changed = await api("PATCH", `/v1/webhooks/${id}`, { events: ["*"], include_system_changes: true });
    expect(changed.body).toMatchObject({ events: ["*"], include_system_changes: true, url: created.body.url });
    const rotated = (await api("POST", `/v1/webhooks/${id}/rotate_secret`)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.body.secret);

    const agentApi = httpClient(server.url, basicAuth(await newAgent(server, admin)));
    expect((await agentApi("GET", "/v1/webhooks")).status).toBe(403);
    expect((await agentApi("POST", "/v1/webhooks", { url: "https://x.example", events: ["*"] })).status).toBe(403);

    expect((await api("DELETE", `/v1/webhooks/${id}`)).body).toEqual({ object_name: "webhook", id, deleted: true });
    expect((await api("GET", `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it("refuses bad URLs and unknown event types with field errors, storing nothing", async () => {
    const { api } = await team();
    const bad = [
      [{ url: "ftp://example.com/x", events: ["*"] }, "url"],
      [{ url: "not a url", events: ["*"] }, "url"],
      [{ url: "https://example.com", events: ["contact.exploded"] }, "events"],
      [{ url: "https://example.com", events: [] }, "events"],
    ] as const;
    for (const [body, field] of bad) {
      const answer = await api("POST", "/v1/webhooks", body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(answer.body.error), JSON.stringify(body)).toContain(field);
    }
    expect((await api("POST", "/v1/webhooks", { url: "https://example.com" })).status).toBe(422);
    expect((await api("GET", "/v1/webhooks")).body.total).toBe(0);
  });
});

describe("webhook deliveries", () => {
  it("are signed (Standard Webhooks), carry a stable event id, and say which fields changed", async () => {
    const { admin, api } = await team();
    const hook = await receiver();
    const { secret } = (
      await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created", "contact.updated"] })
    ).body;
    const contact = (await api("POST", "/v1/contacts", { name: "Signed" })).body;
    await api("PATCH", `/v1/contacts/${contact.id}`, { email: "signed@example.com", identifier: "sig-1" });
    await hook.waitFor((r) => r.length >= 2);

    expect(typesOf(hook.received)).toEqual(["contact.created", "contact.updated"]);
    for (const request of hook.received) {
      expect(signatureIsValid(secret, request)).toBe(true);
      expect(signatureIsValid(`whsec_${Buffer.from("another key!").toString("base64")}`, request)).toBe(false);
      expect(signatureIsValid(secret, { ...request, body: `${request.body} ` })).toBe(false);
      expect(request.payload.id).toBe(request.id);
      expect(Math.abs(Number(request.timestamp) - Date.now() / 1000)).toBeLessThan(30);
      expect(request.headers["content-type"]).toBe("application/json");
    }
    const updated = hook.received[1]?.payload;
    expect(updated).toMatchObject({
      type: "contact.updated",
      account_id: String(admin.accountId),
      actor: { id: String(admin.userId) },
      subject: { contact_id: contact.id, conversation_id: null },
      data: { changes: { email: { from: null, to: "signed@example.com" } } },
    });
    expect([...(updated?.data.changed_fields ?? [])].sort()).toEqual(["email", "identifier"]);
  });

  it("leave out system-only changes unless the endpoint asks for them", async () => {
    const { api } = await team();
    const quiet = await receiver();
    const everything = await receiver();
    await api("POST", "/v1/webhooks", { url: quiet.url, events: ["contact.updated"] });
    await api("POST", "/v1/webhooks", {
      url: everything.url,
      events: ["contact.updated"],
      include_system_changes: true,
    });
    const inbox = (await api("POST", "/v1/inboxes", { name: "Web", channel_type: "web" })).body.id;
    const contact = (await api("POST", "/v1/contacts", { name: "Active" })).body;
    await api("POST", "/v1/conversations", { contact_id: contact.id, inbox_id: inbox });
    await api("PATCH", `/v1/contacts/${contact.id}`, { name: "Marker" });
    await quiet.waitFor((r) => r.length >= 1);
    await everything.waitFor((r) => r.length >= 2);

    // Deliveries for one contact go in order, so the marker arriving means nothing earlier is pending.
    expect(quiet.received.map((r) => r.payload.data.changed_fields)).toEqual([["name"]]);
    expect(everything.received.map((r) => r.payload.data.changed_fields)).toEqual([["last_activity_at"], ["name"]]);
    expect(everything.received[0]?.payload.data.system).toBe(true);
  });

  it("are retried with backoff after failures and timeouts, every attempt recorded, with the same id", async () => {
    const { api } = await team();
    // Fails, then times out, then succeeds.
    const hook = await receiver((_request, tries) => (tries === 0 ? 500 : tries === 1 ? "hang" : 204));
    const webhook = (await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] })).body;
    await api("POST", "/v1/contacts", { name: "Persistent" });
    await hook.waitFor(() => hook.accepted().length === 1);

    expect(hook.received.map((r) => r.answer)).toEqual([500, "hang", 204]);
    expect(new Set(hook.received.map((r) => r.id)).size).toBe(1);
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    const deliveries = await waitForDeliveries(api, webhook.id, (list) => list[0]?.status === "delivered");
    expect(deliveries[0]).toMatchObject({
      status: "delivered",
      attempts: 3,
      event_type: "contact.created",
      event_id: hook.received[0]?.id,
      last_status_code: 204,
      next_attempt_at: null,
    });
    const attempts = (await api("GET", `/v1/webhooks/${webhook.id}/deliveries/${deliveries[0]?.id}/attempts`)).body;
    expect(attempts.data.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, null],
      [3, 204],
    ]);
    expect(attempts.data[0].response_body).toBe("answered 500");
    expect(attempts.data[1].error).toMatch(/timed out/);
    const started = attempts.data.map((a: any) => Date.parse(a.started_at));
    expect(started[2] - started[1]).toBeGreaterThanOrEqual(RETRIES.timeoutMs);
  });

  it("give up after the last attempt, and can be sent again by hand", async () => {
    const { api } = await team();
    const hook = await receiver(() => 503);
    const webhook = (await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] })).body;
    await api("POST", "/v1/contacts", { name: "Unlucky" });
    const [failed] = await waitForDeliveries(api, webhook.id, (list) => list[0]?.status === "failed");
    expect(failed).toMatchObject({ attempts: RETRIES.maxAttempts, last_status_code: 503 });
    expect(hook.received).toHaveLength(RETRIES.maxAttempts);
    expect((await api("GET", `/v1/webhooks/${webhook.id}/deliveries?status=failed`)).body.total).toBe(1);

    hook.setAnswer(() => 200);
    const retried = await api("POST", `/v1/webhooks/${webhook.id}/deliveries/${failed?.id}/retry`);
    expect(retried.status).toBe(200);
    await waitForDeliveries(api, webhook.id, (list) => list[0]?.status === "delivered");
    expect(hook.accepted()).toHaveLength(1);
  });

  it("keep each contact's events in order, even when the receiver fails at random", { timeout: 90_000 }, async () => {
    const { api } = await team();
    // A fixed pattern rather than randomness, so a failure can be replayed: every third event fails
    // its first try. Decided per event, not per call, so no event can use up its attempts.
    const hook = await receiver((request, tries) => (tries === 0 && Number(request.payload.id) % 3 === 0 ? 500 : 200));
    await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.updated"] });
    const a = (await api("POST", "/v1/contacts", { name: "A0" })).body.id;
    const b = (await api("POST", "/v1/contacts", { name: "B0" })).body.id;
    for (let i = 1; i <= 12; i++) {
      await api("PATCH", `/v1/contacts/${a}`, { name: `A${i}` });
      await api("PATCH", `/v1/contacts/${b}`, { name: `B${i}` });
    }
    // Distinct events: on a starved machine a 200 may come after the timeout, and the event is sent again.
    const acceptedIds = () => new Set(hook.accepted().map((r) => r.id));
    await hook.waitFor(() => acceptedIds().size === 24, 80_000);
    for (const [id, prefix] of [
      [a, "A"],
      [b, "B"],
    ] as const) {
      const mine = hook.received.filter((r) => r.payload.subject.contact_id === id);
      // A repeat of an accepted event can only follow it directly: later ones wait for it.
      const accepted = mine.filter((r) => r.answer === 200).map((r) => r.payload.data.changes.name.to);
      const firstTimes = accepted.filter((name, i) => name !== accepted[i - 1]);
      expect(firstTimes).toEqual(Array.from({ length: 12 }, (_, i) => `${prefix}${i + 1}`));
      // Nothing later is even tried before the earlier one was accepted.
      const tried = mine.map((r) => Number(r.payload.id));
      expect([...tried].sort((x, y) => x - y)).toEqual(tried);
    }
    expect(hook.received.length).toBeGreaterThan(24);
  });

  it("are never made for a change that rolled back", async () => {
    const { api } = await team();
    const hook = await receiver();
    const webhook = (await api("POST", "/v1/webhooks", { url: hook.url, events: ["*"] })).body;
    const inbox = (await api("POST", "/v1/inboxes", { name: "API", channel_type: "api" })).body.id;
    await api("POST", "/v1/contacts", { name: "First", inbox_id: inbox, source_id: "dup" });
    // The contact and its contact.created event are written before the source id clashes, and roll back.
    const ghost = await api("POST", "/v1/contacts", { name: "Ghost", inbox_id: inbox, source_id: "dup" });
    expect(ghost.status).toBe(409);
    await api("POST", "/v1/contacts", { name: "Marker" });
    const nameOf = (r: Received) => r.payload.data.changes?.name?.to;
    await hook.waitFor((r) => r.some((x) => nameOf(x) === "Marker"));

    // Deliveries are made in event order, so once the later change's exists, the ghost's would too.
    expect((await api("GET", `/v1/webhooks/${webhook.id}/deliveries`)).body.total).toBe(3);
    await hook.waitFor((r) => r.length >= 3);
    expect(typesOf(hook.received).sort()).toEqual(["contact.created", "contact.created", "contact_inbox.created"]);
    expect(hook.received.some((r) => r.body.includes("Ghost"))).toBe(false);
    // The ghost's event did exist: it took the id between the first contact's events and the marker's.
    const firstIds = hook.received.filter((r) => nameOf(r) !== "Marker").map((r) => Number(r.id));
    const markerId = Number(hook.received.find((r) => nameOf(r) === "Marker")?.id);
    expect(markerId).toBeGreaterThan(Math.max(...firstIds) + 1);
  });

  it("of a deleted contact tell who it was; of another account never reach this one's endpoints", async () => {
    const { api } = await team();
    const other = await team();
    const hook = await receiver();
    await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.deleted", "contact.created"] });
    await other.api("POST", "/v1/contacts", { name: "Someone else's" });
    const contact = (await api("POST", "/v1/contacts", { name: "Gone", email: "gone@example.com" })).body;
    await api("DELETE", `/v1/contacts/${contact.id}`);
    await hook.waitFor((r) => r.length >= 2);
    expect(typesOf(hook.received)).toEqual(["contact.created", "contact.deleted"]);
    expect(hook.received[1]?.payload.data).toEqual({
      name: "Gone",
      email: "gone@example.com",
      phone_number: null,
      identifier: null,
    });
  });
});

/**
 * On a server whose attempts time out only after PATIENT.timeoutMs, so a hanging request stays
 * open for the whole test and the receiver sees if the sender gives up on one.
 */
describe("webhook deliveries, with endpoints that hang", () => {
  let patient: TestServer;
  // A database of its own to start on PostgreSQL, which can be slow on a busy machine.
  beforeAll(async () => {
    patient = await startServer({ background: true, webhooks: PATIENT });
  }, 120_000);
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
    await patient?.close();
  });

  it("to dead or hanging endpoints never hold up a healthy one", { timeout: 120_000 }, async () => {
    const { api } = await team(patient);
    // More dead endpoints than the sender's 16 slots / 4 per endpoint: together they could take every slot.
    const hanging = await Promise.all(Array.from({ length: 5 }, () => receiver(() => "hang")));
    const healthy = await receiver();
    const dead: string[] = [];
    // Pass or fail, so the requests left open hold none of the sender's slots in later tests.
    onTestFinished(async () => {
      for (const id of dead) await api("DELETE", `/v1/webhooks/${id}`);
      for (const hook of hanging) await hook.close();
    });
    for (const hook of hanging) {
      dead.push((await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] })).body.id);
    }
    const closedPort = { url: "http://127.0.0.1:9/closed-port", events: ["contact.created"] };
    dead.push((await api("POST", "/v1/webhooks", closedPort)).body.id);
    await api("POST", "/v1/webhooks", { url: healthy.url, events: ["contact.created"] });
    for (let i = 0; i < 20; i++) await api("POST", "/v1/contacts", { name: `Busy ${i}` });

    await healthy.waitFor((r) => new Set(r.map((x) => x.id)).size === 20, 90_000);
    // Served while every hanging endpoint had requests open that the sender had not given up on:
    // the healthy endpoint never waited for a dead one's timeout.
    for (const hook of hanging) {
      expect(hook.received.length).toBeGreaterThan(0);
      expect(hook.received.filter((r) => r.closedAt !== null)).toEqual([]);
    }
  });

  it("never hold up the API request that caused them", async () => {
    const { api } = await team(patient);
    const hanging = await receiver(() => "hang");
    onTestFinished(() => hanging.close());
    await api("POST", "/v1/webhooks", { url: hanging.url, events: ["contact.created"] });
    const timedCreate = async (name: string) => {
      const started = Date.now();
      expect((await api("POST", "/v1/contacts", { name })).status).toBe(201);
      return Date.now() - started;
    };
    const first = await timedCreate("Caused a hanging delivery");
    await hanging.waitFor((r) => r.length === 1);
    const second = await timedCreate("Made while it hangs");
    // Far below the attempt timeout, which a request waiting for its delivery would have sat out.
    for (const took of [first, second]) expect(took).toBeLessThan(PATIENT.timeoutMs / 3);
    expect(hanging.received[0]?.closedAt).toBeNull();
  });

  it("held by a process that died are sent by another once the lease runs out", async () => {
    const { admin, api } = await team(patient);
    // The first attempt never ends, as if its process had died mid-send; the next one is answered.
    const hook = await receiver((_request, tries) => (tries === 0 ? "hang" : 200));
    const webhook = (await api("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] })).body;
    await api("POST", "/v1/contacts", { name: "Orphan" });
    await hook.waitFor((r) => r.length === 1);
    // The lease outlasts the attempt's timeout; end it the way time would.
    const leases = await patient.db.execute(sql`
      UPDATE webhook_deliveries SET locked_until = now() - interval '1 second'
      WHERE account_id = ${admin.accountId} AND status = 'pending' AND locked_until > now()`);
    expect(leases).toBe(1);
    await hook.waitFor((r) => r.length === 2);
    const id = hook.received[0]?.id;
    expect(hook.received.map((r) => [r.id, r.answer])).toEqual([
      [id, "hang"],
      [id, 200],
    ]);
    // Sent again while the first attempt was still open: the lease ran out, not the timeout.
    expect(hook.received[0]?.closedAt).toBeNull();

    // The first attempt ends late (its connection closed now): that is not recorded over the second.
    await hook.close();
    await patient.background?.settled();
    const [delivery] = await waitForDeliveries(api, webhook.id, (list) => list[0]?.status === "delivered");
    expect(delivery).toMatchObject({ attempts: 2, last_status_code: 200 });
    const attempts = (await api("GET", `/v1/webhooks/${webhook.id}/deliveries/${delivery?.id}/attempts`)).body;
    expect(attempts.data.map((a: any) => [a.attempt, a.status_code])).toEqual([[2, 200]]);
  });
});

async function waitForDeliveries(
  api: ReturnType<typeof httpClient>,
  webhookId: string,
  done: (list: any[]) => boolean,
): Promise<any[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const list = (await api("GET", `/v1/webhooks/${webhookId}/deliveries`)).body.data;
    if (done(list)) return list;
    if (Date.now() > deadline) throw new Error(`deliveries not as expected: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
