import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAccount, startServer, type TestServer } from "../../server/test/harness.js";
import {
  ConflictError,
  type Contact,
  type ContactBatchOperation,
  Contactd,
  Page,
  UnprocessableEntityError,
  verifyWebhook,
  type WebhookEvent,
  WebhookVerificationError,
} from "../src/index.js";
import { eventually } from "./helpers.js";

/**
 * The README's main examples, run against the real contactd server on 127.0.0.1: the quick start
 * (create, one page with limit 50 and skip 0, auto-pagination), catching a 409 and a 422, and the
 * node:http webhook receiver checking real, signed deliveries.
 */

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const mainReadme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

let server: TestServer;
let client: Contactd;
let receiver: Server;
let receiverUrl: string;
/** The signing secret the receiver checks with; set once the webhook exists. */
let secret = "";
const verified: WebhookEvent[] = [];

beforeAll(async () => {
  // Background work sends webhook deliveries as the real server does.
  server = await startServer({
    background: true,
    webhooks: { timeoutMs: 5_000, maxAttempts: 3, retryBaseMs: 600_000, retryMaxMs: 600_000 },
  });
  const admin = await newAccount(server.db);
  client = new Contactd({ baseUrl: server.url, token: admin.token });

  // The README's node:http receiver, recording what it verified.
  receiver = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      const event = await verifyWebhook(Buffer.concat(chunks), request.headers, secret);
      verified.push(event);
      response.writeHead(204).end();
    } catch (error) {
      response.writeHead(error instanceof WebhookVerificationError ? 400 : 500).end();
    }
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/contactd`;
});

afterAll(async () => {
  await server?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("README examples", () => {
  let ada: Contact;

  it("are the calls the README shows", () => {
    for (const snippet of [
      "await client.contacts.list({ limit: 50, skip: 0 });",
      "for await (const contact of client.contacts.list({ limit: 50 })) {",
      "if (error instanceof ConflictError) {",
      "} else if (error instanceof UnprocessableEntityError) {",
      "await verifyWebhook(Buffer.concat(chunks), request.headers, secret);",
    ]) {
      expect(readme).toContain(snippet);
    }
  });

  it("quick start: creates a contact, reads one page with limit 50 and skip 0, then every contact", async () => {
    ada = await client.contacts.create({
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone_number: "+1 415 555 0100",
      custom_attributes: { plan: "pro" },
      labels: ["vip"],
    });
    expect(ada).toMatchObject({ name: "Ada Lovelace", email: "ada@example.com", phone_number: "+14155550100" });

    // Enough contacts for two pages of 50.
    const more: ContactBatchOperation[] = Array.from({ length: 59 }, (_, i) => ({
      op: "create",
      data: { name: `Reader ${i}` },
    }));
    expect((await client.contacts.batch(more)).counts).toEqual({ succeeded: 59, failed: 0 });

    const page = await client.contacts.list({ limit: 50, skip: 0 });
    expect(page).toBeInstanceOf(Page);
    expect(page.data).toHaveLength(50);
    expect(page.has_more).toBe(true);
    expect(page.nextPagePosition()).toEqual({ skip: 50 });
    const next = await page.getNextPage();
    expect(next.data).toHaveLength(10);
    expect(next.hasNextPage()).toBe(false);

    // The tour in the repository's README, as written there (the seed's example).
    expect(mainReadme).toContain(
      "const page = await client.contacts.list({ limit: 50, skip: 0 });\nfor (const contact of page.data) {\n  console.log(contact.id, contact.display_name, contact.email);\n}",
    );
    const printed: string[] = [];
    for (const contact of page.data) printed.push(`${contact.id} ${contact.display_name} ${contact.email}`);
    expect(printed).toEqual(page.data.map((contact) => `${contact.id} ${contact.name} ${contact.email}`));
    expect(printed.every((line) => !line.includes("undefined"))).toBe(true);

    const seen: string[] = [];
    for await (const contact of client.contacts.list({ limit: 50 })) seen.push(contact.id);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    expect(seen).toContain(ada.id);
    expect([...page.data, ...next.data].map((c) => c.id)).toEqual(seen);

    const updated = await client.contacts.update(ada.id, { custom_attributes: { plan: "enterprise" } });
    expect(updated.custom_attributes).toEqual({ plan: "enterprise" });
  });

  it("errors: a 409 carries field and existingId, a 422 its details", async () => {
    const caught: string[] = [];
    for (const email of ["ada@example.com", "not-an-email"]) {
      try {
        await client.contacts.create({ name: "Ada", email });
      } catch (error) {
        if (error instanceof ConflictError) {
          expect(error).toMatchObject({ status: 409, code: "email_taken", field: "email", existingId: ada.id });
          expect(error.requestId).toMatch(/^req_/);
          caught.push("conflict");
        } else if (error instanceof UnprocessableEntityError) {
          expect(error).toMatchObject({ status: 422, code: "invalid_fields" });
          expect(error.details?.map((d) => [d.field, d.code])).toEqual([["email", "invalid_email"]]);
          caught.push("unprocessable");
        } else {
          throw error;
        }
      }
    }
    expect(caught).toEqual(["conflict", "unprocessable"]);
  });

  it("webhooks: the node:http receiver verifies real deliveries and refuses a forged one", async () => {
    const webhook = await client.webhooks.create({ url: receiverUrl, events: ["contact.created", "contact.updated"] });
    expect(webhook.secret).toMatch(/^whsec_/);
    secret = webhook.secret!;

    const grace = await client.contacts.create({ name: "Grace Hopper" });
    await eventually(() => verified.some((event) => event.subject.contact_id === grace.id));
    const event = verified.find((e) => e.subject.contact_id === grace.id);
    expect(event).toMatchObject({ type: "contact.created", subject: { contact_id: grace.id, conversation_id: null } });

    const forged = await fetch(receiverUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "1",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "v1,AAAA",
      },
      body: JSON.stringify(event),
    });
    expect(forged.status).toBe(400);
  }, 30_000);
});
