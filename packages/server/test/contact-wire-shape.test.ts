import Fastify from "fastify";
import { Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Contact, ContactInbox, ContactList } from "../src/faces/native/schemas.js";
import { basicAuth, type Credentials, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

/**
 * The contact reads send their bodies through JSON.stringify, not through the serializer compiled
 * from their response schemas: each body must be what that serializer would have written.
 */
describe("native contact reads on the wire", () => {
  let server: TestServer;
  let admin: Credentials;
  let api: ReturnType<typeof httpClient>;
  const reference = Fastify();

  beforeAll(async () => {
    server = await startServer({ defaultCountry: "US" });
    admin = await newAccount(server.db);
    api = httpClient(server.url, basicAuth(admin));
    reference.addSchema(ContactInbox);
    reference.addSchema(Contact);
    reference.post("/one", { schema: { response: { 200: Type.Ref("Contact") } } }, async (request) => request.body);
    reference.post("/list", { schema: { response: { 200: ContactList } } }, async (request) => request.body);
    await reference.ready();
  });
  afterAll(async () => {
    await reference.close();
    await server.close();
  });

  /** The body as the product sent it, and as the schema's serializer writes the same value. */
  async function both(path: string, shape: "/one" | "/list") {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: basicAuth(admin) } });
    expect(response.status).toBe(200);
    const sent = await response.text();
    const rewritten = await reference.inject({ method: "POST", url: shape, payload: JSON.parse(sent) });
    return { sent, rewritten: rewritten.body };
  }

  it("writes list, search, get and lookup bodies byte for byte as their schemas' serializer would", async () => {
    const inbox = (await api("POST", "/v1/inboxes", { name: "Support", channel_type: "api" })).body;
    const full = await api("POST", "/v1/contacts", {
      name: 'Zoë "Zed" O\'Brien\n\t日本 😀 \\ back',
      email: "zoe@example.com",
      phone_number: "+1 415 555 0199",
      identifier: "CRM-Zoë",
      additional_attributes: { company_name: "Acme <&>", city: "Kraków" },
      custom_attributes: { plan: "pro", seats: 12, ratio: 0.5, trial: false, nested: { list: [1, "two", null, true] } },
      labels: ["vip", "émile", "lead"],
      inbox_id: inbox.id,
      source_id: "ext-zoe",
    });
    expect(full.status).toBe(201);
    const bare = await api("POST", "/v1/contacts", { name: "Zoë Bare" });
    expect(bare.status).toBe(201);

    const reads: [string, "/one" | "/list"][] = [
      ["/v1/contacts?limit=10", "/list"],
      ["/v1/contacts?limit=1", "/list"],
      ["/v1/contacts?limit=10&include_contact_inboxes=true", "/list"],
      [`/v1/contacts/search?q=${encodeURIComponent("zoë")}`, "/list"],
      [`/v1/contacts/search?q=${encodeURIComponent("zoë")}&include_contact_inboxes=true`, "/list"],
      ["/v1/contacts/search?q=nobody-at-all", "/list"],
      [`/v1/contacts/${full.body.id}`, "/one"],
      [`/v1/contacts/${full.body.id}?include_contact_inboxes=true`, "/one"],
      [`/v1/contacts/${bare.body.id}`, "/one"],
      ["/v1/contacts/lookup?email=zoe@example.com", "/one"],
    ];
    for (const [path, shape] of reads) {
      const { sent, rewritten } = await both(path, shape);
      expect(sent, path).toBe(rewritten);
    }
    const withInboxes = JSON.parse(
      (await both(`/v1/contacts/${full.body.id}?include_contact_inboxes=true`, "/one")).sent,
    );
    expect(withInboxes.contact_inboxes).toHaveLength(1);
  });
});
