import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAgent, type TestServer, useServer } from "./harness.js";

describe("inboxes and contact inboxes", () => {
  const fixture = useServer();
  let server: TestServer;
  let admin: Credentials;
  let api: ReturnType<typeof httpClient>;
  const inboxes: Record<string, string> = {};

  beforeAll(async () => {
    ({ server, admin, api } = fixture);
    for (const [key, channel_type] of [
      ["email", "Channel::Email"],
      ["api", "Channel::Api"],
      ["whatsapp", "whatsapp"],
      ["sms", "Channel::Sms"],
      ["telegram", "Channel::Telegram"],
      ["web", "Channel::WebWidget"],
    ]) {
      const res = await api("POST", "/v1/inboxes", {
        name: `${key} inbox`,
        channel_type,
        provider: key === "sms" ? "twilio" : null,
      });
      expect(res.status).toBe(201);
      inboxes[key as string] = res.body.id;
    }
  });

  it("manages inboxes: administrators write, everyone reads", async () => {
    const list = (await api("GET", "/v1/inboxes")).body;
    expect(list.data.map((i: { channel_type: string }) => i.channel_type)).toEqual([
      "Channel::Email",
      "Channel::Api",
      "Channel::Whatsapp",
      "Channel::Sms",
      "Channel::Telegram",
      "Channel::WebWidget",
    ]);
    const renamed = await api("PATCH", `/v1/inboxes/${inboxes.sms}`, { name: "Texts" });
    expect(renamed.body).toMatchObject({ name: "Texts", provider: "twilio", channel_type: "Channel::Sms" });
    expect((await api("PATCH", `/v1/inboxes/${inboxes.sms}`, { channel_type: "Channel::Email" })).status).toBe(422);
    expect((await api("POST", "/v1/inboxes", { name: "Bad", channel_type: "Channel::Pigeon" })).status).toBe(422);
    expect((await api("POST", "/v1/inboxes", { name: "", channel_type: "api" })).status).toBe(422);

    const agent = httpClient(server.url, basicAuth(await newAgent(server, admin)));
    expect((await agent("GET", "/v1/inboxes")).status).toBe(200);
    expect((await agent("GET", `/v1/inboxes/${inboxes.api}`)).status).toBe(200);
    expect((await agent("POST", "/v1/inboxes", { name: "x", channel_type: "api" })).status).toBe(403);
    expect((await agent("PATCH", `/v1/inboxes/${inboxes.api}`, { name: "x" })).status).toBe(403);
    expect((await agent("DELETE", `/v1/inboxes/${inboxes.api}`)).status).toBe(403);
  });

  it("derives the source id from the channel when none is given", async () => {
    const contact = (
      await api("POST", "/v1/contacts", { name: "Multi", email: "multi@example.com", phone_number: "+84 912 345 600" })
    ).body;
    const attach = (inbox: string, extra: object = {}) =>
      api("POST", `/v1/contacts/${contact.id}/contact_inboxes`, { inbox_id: inbox, ...extra });
    expect((await attach(inboxes.email as string)).body.source_id).toBe("multi@example.com");
    expect((await attach(inboxes.sms as string)).body.source_id).toBe("+84912345600");
    expect((await attach(inboxes.whatsapp as string)).body.source_id).toBe("84912345600");
    expect((await attach(inboxes.api as string)).body.source_id).toMatch(/^[0-9a-f-]{36}$/);
    const telegram = await attach(inboxes.telegram as string);
    expect(telegram.status).toBe(422);
    expect(telegram.body.error.details[0]).toMatchObject({ field: "source_id", code: "required" });
    const given = await attach(inboxes.telegram as string, { source_id: "tg-42" });
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({
      source_id: "tg-42",
      inbox: { id: inboxes.telegram, channel_type: "Channel::Telegram" },
    });

    const withInboxes = (await api("GET", `/v1/contacts/${contact.id}?include_contact_inboxes=true`)).body;
    expect(withInboxes.contact_inboxes).toHaveLength(5);
    expect((await api("GET", `/v1/contacts/${contact.id}`)).body.contact_inboxes).toBeUndefined();
    const listed = (await api("GET", "/v1/contacts?include_contact_inboxes=true&limit=200")).body.data;
    expect(listed.find((c: { id: string }) => c.id === contact.id).contact_inboxes).toHaveLength(5);
  });

  it("creates a contact in an inbox in one step, and refuses a source id another contact holds", async () => {
    const created = await api("POST", "/v1/contacts", { name: "Via API", inbox_id: inboxes.api, source_id: "ext-1" });
    expect(created.status).toBe(201);
    expect(created.body.contact_inboxes).toEqual([expect.objectContaining({ source_id: "ext-1" })]);
    const before = (await api("GET", "/v1/contacts?limit=200")).body.data.length;
    const clash = await api("POST", "/v1/contacts", { name: "Twin", inbox_id: inboxes.api, source_id: "ext-1" });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ code: "source_id_taken", existing_id: created.body.id });
    expect((await api("GET", "/v1/contacts?limit=200")).body.data.length).toBe(before);
    const noEmail = await api("POST", "/v1/contacts", { name: "No email", inbox_id: inboxes.email });
    expect(noEmail.status).toBe(422);
    expect((await api("POST", "/v1/contacts", { name: "x", inbox_id: "999999" })).status).toBe(404);
    expect((await api("GET", "/v1/contacts?limit=200")).body.data.length).toBe(before);
  });

  it("records the new identity in the contact's history", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Hist", inbox_id: inboxes.web })).body;
    const history = (await api("GET", `/v1/contacts/${contact.id}/activities`)).body.data;
    expect(history.map((a: { action: string }) => a.action)).toEqual(["contact_inbox.created", "contact.created"]);
    expect(history[0].details).toMatchObject({ inbox_id: inboxes.web, channel_type: "Channel::WebWidget" });
  });

  it("deletes an inbox with its identities", async () => {
    const inbox = (await api("POST", "/v1/inboxes", { name: "Temp", channel_type: "api" })).body;
    const contact = (await api("POST", "/v1/contacts", { name: "Temp contact", inbox_id: inbox.id })).body;
    expect((await api("DELETE", `/v1/inboxes/${inbox.id}`)).body).toEqual({
      object_name: "inbox",
      id: inbox.id,
      deleted: true,
    });
    expect((await api("GET", `/v1/inboxes/${inbox.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/contacts/${contact.id}?include_contact_inboxes=true`)).body.contact_inboxes).toEqual(
      [],
    );
  });
});
