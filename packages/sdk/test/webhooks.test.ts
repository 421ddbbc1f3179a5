import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, newAgent, startServer, type TestServer } from "../../server/test/harness.js";
import {
  type APIError,
  Contactd,
  ContactdError,
  type ContactUpdatedData,
  NotFoundError,
  PermissionDeniedError,
  signWebhook,
  verifyWebhook,
  type WebhookEvent,
  WebhookVerificationError,
} from "../src/index.js";
import { eventually } from "./helpers.js";

/**
 * Webhook signatures checked against vectors computed independently with node:crypto, and the
 * webhooks resource against the real server, up to deliveries a local receiver verifies.
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

const key = randomBytes(24);
const secret = `whsec_${key.toString("base64")}`;
const now = new Date("2030-01-02T03:04:05.678Z");
const nowSeconds = Math.floor(now.getTime() / 1000);

const event: WebhookEvent = {
  id: "4711",
  type: "contact.updated",
  timestamp: "2030-01-02T03:04:05.000Z",
  account_id: "1",
  actor: { id: "2" },
  subject: { contact_id: "3", conversation_id: null },
  data: { changes: { name: { from: "Ada", to: "Ada L." } }, changed_fields: ["name"] },
};
const body = JSON.stringify(event);

/** The signature exactly as the server computes it, without the SDK. */
function sign(payload: string, id = event.id, timestamp = nowSeconds, withKey: Buffer = key): string {
  return createHmac("sha256", withKey).update(`${id}.${timestamp}.${payload}`).digest("base64");
}

function headersFor(signature: string, timestamp = nowSeconds): Record<string, string> {
  return { "webhook-id": event.id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

async function verificationFailure(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return error as WebhookVerificationError;
  }
  expect.fail("expected the webhook to be rejected");
}

describe("verifyWebhook", () => {
  it("accepts a valid signature and returns the parsed event", async () => {
    const verified = await verifyWebhook(body, headersFor(`v1,${sign(body)}`), secret, { now });
    expect(verified).toEqual(event);
    const typed = await verifyWebhook<WebhookEvent<ContactUpdatedData>>(
      Buffer.from(body),
      headersFor(`v1,${sign(body)}`),
      secret,
      { now },
    );
    expect(typed.data.changes.name).toEqual({ from: "Ada", to: "Ada L." });
    expect(typed.data.changed_fields).toEqual(["name"]);
  });

  it("finds the headers whatever their case, in Headers or in a plain object with arrays", async () => {
    const headers = new Headers({
      "Webhook-Id": event.id,
      "WEBHOOK-TIMESTAMP": String(nowSeconds),
      "Webhook-Signature": `v1,${sign(body)}`,
    });
    expect(await verifyWebhook(body, headers, secret, { now })).toEqual(event);
    const node: IncomingHttpHeaders = {
      "Webhook-Id": event.id,
      "webhook-timestamp": String(nowSeconds),
      "webhook-signature": [`v1,${sign("other")}`, `v1,${sign(body)}`],
    };
    expect(await verifyWebhook(body, node, secret, { now })).toEqual(event);
  });

  it("rejects a tampered body and a wrong secret", async () => {
    const tampered = body.replace("Ada L.", "Eve");
    const error = await verificationFailure(verifyWebhook(tampered, headersFor(`v1,${sign(body)}`), secret, { now }));
    expect(error.message).toMatch(/signature/);
    expect(error).toBeInstanceOf(ContactdError);
    expect(error.name).toBe("WebhookVerificationError");

    const otherSecret = `whsec_${randomBytes(24).toString("base64")}`;
    await verificationFailure(verifyWebhook(body, headersFor(`v1,${sign(body)}`), otherSecret, { now }));
    // The id and timestamp are signed too.
    const moved = { ...headersFor(`v1,${sign(body)}`), "webhook-id": "4712" };
    await verificationFailure(verifyWebhook(body, moved, secret, { now }));
  });

  it("rejects a timestamp outside the tolerance, either way", async () => {
    const at = (offset: number) => headersFor(`v1,${sign(body, event.id, nowSeconds + offset)}`, nowSeconds + offset);
    expect((await verificationFailure(verifyWebhook(body, at(-301), secret, { now }))).message).toMatch(/too old/);
    expect((await verificationFailure(verifyWebhook(body, at(301), secret, { now }))).message).toMatch(/future/);
    expect(await verifyWebhook(body, at(-300), secret, { now })).toEqual(event);
    expect(await verifyWebhook(body, at(300), secret, { now })).toEqual(event);
    await verificationFailure(verifyWebhook(body, at(-61), secret, { now, toleranceSeconds: 60 }));
    await verificationFailure(verifyWebhook(body, { ...at(0), "webhook-timestamp": "soon" }, secret, { now }));
  });

  it("checks against the current time by default", async () => {
    const current = Math.floor(Date.now() / 1000);
    const fresh = headersFor(`v1,${sign(body, event.id, current)}`, current);
    expect(await verifyWebhook(body, fresh, secret)).toEqual(event);
    await verificationFailure(verifyWebhook(body, headersFor(`v1,${sign(body)}`), secret));
  });

  it("names a missing header", async () => {
    const complete = headersFor(`v1,${sign(body)}`);
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
      const { [name]: _, ...rest } = complete;
      const error = await verificationFailure(verifyWebhook(body, rest, secret, { now }));
      expect(error.message).toBe(`The ${name} header is missing`);
    }
  });

  it("accepts any one matching v1 signature among several, as during a secret rotation", async () => {
    const oldKey = randomBytes(24);
    const signatures = `v1,${sign(body, event.id, nowSeconds, oldKey)} v1,${sign(body)}`;
    expect(await verifyWebhook(body, headersFor(signatures), secret, { now })).toEqual(event);
    // Only v1 entries count.
    await verificationFailure(verifyWebhook(body, headersFor(`v2,${sign(body)}`), secret, { now }));
    await verificationFailure(verifyWebhook(body, headersFor(`v1,${sign(body).slice(0, -2)}`), secret, { now }));
  });

  it("treats an unusable secret as a configuration error, not a bad request", async () => {
    const error = await verifyWebhook(body, headersFor(`v1,${sign(body)}`), "whsec_", { now }).catch((e) => e);
    expect(error).toBeInstanceOf(ContactdError);
    expect(error).not.toBeInstanceOf(WebhookVerificationError);
  });
});

describe("signWebhook", () => {
  it("signs as the server does, and verifyWebhook accepts what it signs", async () => {
    const headers = await signWebhook(body, secret, { id: event.id, timestamp: now });
    expect(headers).toEqual({
      "webhook-id": event.id,
      "webhook-timestamp": String(nowSeconds),
      "webhook-signature": `v1,${sign(body)}`,
    });
    expect(await signWebhook(new TextEncoder().encode(body), secret, { id: event.id, timestamp: nowSeconds })).toEqual(
      headers,
    );
    expect(await verifyWebhook(body, headers, secret, { now })).toEqual(event);
    // The prefix is optional.
    expect(await signWebhook(body, key.toString("base64"), { id: event.id, timestamp: now })).toEqual(headers);
  });
});

describe("webhooks resource", () => {
  let server: TestServer;
  let adminCreds: Credentials;
  let admin: Contactd;
  let agent: Contactd;

  beforeAll(async () => {
    server = await startServer();
    adminCreds = await newAccount(server.db);
    const agentCreds = await newAgent(server, adminCreds);
    admin = new Contactd({ baseUrl: server.url, token: adminCreds.token });
    agent = new Contactd({ baseUrl: server.url, apiKey: agentCreds.key, apiSecret: agentCreds.secret });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("creates, lists, gets, updates, rotates and deletes; the secret shows only on create and rotate", async () => {
    const created = await admin.webhooks.create({
      url: "http://127.0.0.1:9/hooks/contactd",
      events: ["contact.created", "contact.updated"],
      description: "CRM sync",
    });
    expect(created).toMatchObject({
      object_name: "webhook",
      url: "http://127.0.0.1:9/hooks/contactd",
      events: ["contact.created", "contact.updated"],
      description: "CRM sync",
      include_system_changes: false,
      active: true,
    });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.created_at).toMatch(ISO);
    expect(created.updated_at).toMatch(ISO);
    expect(created.secret).toMatch(SECRET);
    const { secret: firstSecret, ...stored } = created;

    const fetched = await admin.webhooks.get(created.id);
    expect(fetched).toEqual(stored);
    expect(fetched).not.toHaveProperty("secret");

    const page = await admin.webhooks.list();
    expect(page).toMatchObject({ data: [stored], has_more: false, total: 1 });

    const updated = await admin.webhooks.update(created.id, {
      events: ["*"],
      active: false,
      include_system_changes: true,
      description: "Everything",
    });
    expect(updated).toMatchObject({
      id: created.id,
      url: created.url,
      events: ["*"],
      active: false,
      include_system_changes: true,
      description: "Everything",
    });
    expect(updated).not.toHaveProperty("secret");
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    expect(await admin.webhooks.get(created.id)).toEqual(updated);

    const rotated = await admin.webhooks.rotateSecret(created.id);
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.secret).not.toBe(firstSecret);
    expect(await admin.webhooks.get(created.id)).not.toHaveProperty("secret");

    expect(await admin.webhooks.delete(created.id)).toEqual({ object_name: "webhook", id: created.id, deleted: true });
    await expect(admin.webhooks.get(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(admin.webhooks.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await admin.webhooks.list()).toMatchObject({ data: [], total: 0 });
  });

  it("is for administrators: an agent gets PermissionDeniedError", async () => {
    const error = (await agent.webhooks
      .create({ url: "http://127.0.0.1:9/hook", events: ["*"] })
      .catch((e) => e)) as APIError;
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(await admin.webhooks.list()).toMatchObject({ total: 0 });
  });
});

describe("webhook deliveries", () => {
  let server: TestServer;
  let admin: Contactd;
  let adminCreds: Credentials;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  /** How the receiver answers the next request. */
  const answers: number[] = [];

  beforeAll(async () => {
    // Background work sends deliveries as the real server does; automatic retries are far off, so
    // the only retry in this test is the one it asks for.
    server = await startServer({
      background: true,
      webhooks: { timeoutMs: 5_000, maxAttempts: 3, retryBaseMs: 600_000, retryMaxMs: 600_000 },
    });
    adminCreds = await newAccount(server.db);
    admin = new Contactd({ baseUrl: server.url, token: adminCreds.token });
    receiver = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(answers.shift() ?? 200, { "content-type": "text/plain" });
      response.end("thanks");
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/contactd`;
  });

  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("signs what it sends, records every attempt, and sends a delivery again on request", async () => {
    const webhook = await admin.webhooks.create({ url: receiverUrl, events: ["contact.created", "contact.updated"] });
    const secret = webhook.secret!;
    answers.push(200, 500);
    const contact = await admin.contacts.create({ name: "Ada" });
    await admin.contacts.update(contact.id, { name: "Ada L." });
    await eventually(() => received.length === 2);

    const [created, updated] = await Promise.all(
      received.map((request) => verifyWebhook(request.body, request.headers, secret)),
    );
    expect(created).toMatchObject({
      type: "contact.created",
      account_id: String(adminCreds.accountId),
      actor: { id: String(adminCreds.userId) },
      subject: { contact_id: contact.id, conversation_id: null },
    });
    expect(created?.timestamp).toMatch(ISO);
    expect(updated?.type).toBe("contact.updated");
    const changed = updated!.data as ContactUpdatedData;
    expect(changed.changes.name).toEqual({ from: "Ada", to: "Ada L." });
    expect(changed.changed_fields).toContain("name");
    expect(received[1]?.headers["webhook-id"]).toBe(updated?.id);

    // Newest first: the update failed with a 500 and waits for its next attempt.
    await eventually(async () => (await admin.webhooks.listDeliveries(webhook.id)).data[0]?.attempts === 1);
    const deliveries = await admin.webhooks.listDeliveries(webhook.id);
    expect(deliveries.total).toBe(2);
    const [failing, delivered] = deliveries.data;
    expect(delivered).toMatchObject({
      object_name: "webhook_delivery",
      webhook_id: webhook.id,
      event_id: created?.id,
      event_type: "contact.created",
      status: "delivered",
      attempts: 1,
      last_status_code: 200,
      last_error: null,
    });
    expect(delivered?.finished_at).toMatch(ISO);
    expect(failing).toMatchObject({
      event_type: "contact.updated",
      status: "pending",
      attempts: 1,
      last_status_code: 500,
    });
    expect(failing?.next_attempt_at).toMatch(ISO);
    expect(await admin.webhooks.listDeliveries(webhook.id, { status: "delivered" })).toMatchObject({
      total: 1,
      data: [{ id: delivered?.id }],
    });
    const paged = [];
    for await (const delivery of admin.webhooks.listDeliveries(webhook.id, { limit: 1 })) paged.push(delivery.id);
    expect(paged).toEqual([failing?.id, delivered?.id]);

    const attempts = await admin.webhooks.listAttempts(webhook.id, failing!.id);
    expect(attempts).toMatchObject({ total: 1, has_more: false });
    expect(attempts.data[0]).toMatchObject({ object_name: "webhook_attempt", attempt: 1, status_code: 500 });
    expect(attempts.data[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(attempts.data[0]?.started_at).toMatch(ISO);

    const retried = await admin.webhooks.retryDelivery(webhook.id, failing!.id);
    expect(retried).toMatchObject({ id: failing?.id, status: "pending" });
    await eventually(() => received.length === 3);
    // The same event under the same id, signed afresh for the new attempt.
    expect(received[2]?.headers["webhook-id"]).toBe(updated?.id);
    expect(await verifyWebhook(received[2]!.body, received[2]!.headers, secret)).toEqual(updated);
    await eventually(async () => (await admin.webhooks.listAttempts(webhook.id, failing!.id)).data.length === 2);
    const after = await admin.webhooks.listAttempts(webhook.id, failing!.id);
    expect(after.data.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    await expect(admin.webhooks.listAttempts(webhook.id, "999999999")).rejects.toBeInstanceOf(NotFoundError);
  }, 30_000);
});
