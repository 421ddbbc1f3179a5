import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, useServer } from "./harness.js";

/**
 * One account's data read through all four faces: the native API, Chatwoot's v1, LiveDesk's v2
 * and iMBRACE's channel-service. Each has its own ids, times and envelopes; the facts must agree.
 */

const fixture = useServer();
let contactId: string;
let inboxId: string;

/** A contact as each face tells it, reduced to the facts all of them carry. */
interface Facts {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  avatar: string | null;
  createdAt: number;
}

async function getJson(path: string, headers: Record<string, string>): Promise<any> {
  const response = await fetch(`${fixture.server.url}${path}`, { headers });
  expect(response.status, path).toBe(200);
  return response.json();
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

async function readThroughEveryFace(id: string): Promise<Record<string, Facts>> {
  const { admin } = fixture;
  const native = await getJson(`/v1/contacts/${id}`, { authorization: basicAuth(admin) });
  const chatwoot = (
    await getJson(`/api/v1/accounts/${admin.accountId}/contacts/${id}`, {
      api_access_token: admin.token,
      "content-type": "application/json",
    })
  ).payload;
  const livedeskPage = await getJson(`/api/v2/accounts/contacts?q=${encodeURIComponent(native.email)}`, {
    authorization: basicAuth(admin),
  });
  const livedesk = livedeskPage.payload.find((c: any) => String(c.id) === id);
  const imbrace = await getJson(`/channel-service/v1/contacts/${id}`, { "x-api-key": admin.token });
  const chatwootFamily = (c: any): Facts => ({
    id: String(c.id),
    name: c.name,
    email: c.email,
    phone: c.phone_number,
    avatar: c.thumbnail === "" ? null : c.thumbnail,
    createdAt: c.created_at,
  });
  const nativeFamily = (c: any): Facts => ({
    id: c.id,
    name: c.display_name,
    email: c.email,
    phone: c.phone_number,
    avatar: c.avatar_url,
    createdAt: seconds(c.created_at),
  });
  return {
    native: nativeFamily(native),
    chatwoot: chatwootFamily(chatwoot),
    livedesk: chatwootFamily(livedesk),
    imbrace: nativeFamily(imbrace),
  };
}

beforeAll(async () => {
  const { api } = fixture;
  const inbox = await api("POST", "/v1/inboxes", { name: "WhatsApp", channel_type: "Channel::Whatsapp" });
  inboxId = inbox.body.id;
  const created = await api("POST", "/v1/contacts", {
    name: "Zoë Ångström",
    email: "zoe@example.com",
    phone_number: "+44 20 7946 0958",
    identifier: "crm-zoe",
    inbox_id: inboxId,
    source_id: "442079460958",
    labels: ["vip"],
  });
  contactId = created.body.id;
});

describe("the four faces", () => {
  it("tell the same contact the same way", async () => {
    const faces = await readThroughEveryFace(contactId);
    expect(faces.native).toMatchObject({
      id: contactId,
      name: "Zoë Ångström",
      email: "zoe@example.com",
      phone: "+442079460958",
      avatar: null,
    });
    for (const [face, facts] of Object.entries(faces)) expect(facts, face).toEqual(faces.native);
  });

  it("see a change made through any one of them", async () => {
    const { admin, api } = fixture;
    const viaChatwoot = await fetch(`${fixture.server.url}/api/v1/accounts/${admin.accountId}/contacts/${contactId}`, {
      method: "PATCH",
      headers: { api_access_token: admin.token, "content-type": "application/json" },
      body: JSON.stringify({ name: "Zoë A." }),
    });
    expect(viaChatwoot.status).toBe(200);
    const viaImbrace = await fetch(`${fixture.server.url}/channel-service/v1/contacts/${contactId}`, {
      method: "PUT",
      headers: { "x-api-key": admin.token, "content-type": "application/json" },
      body: JSON.stringify({ email: "zoe.a@example.com" }),
    });
    expect(viaImbrace.status).toBe(200);
    const avatar = new FormData();
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    avatar.append("file", new Blob([png], { type: "image/png" }), "zoe.png");
    const uploaded = await fetch(`${fixture.server.url}/v1/contacts/${contactId}/avatar`, {
      method: "PUT",
      headers: { authorization: basicAuth(admin) },
      body: avatar,
    });
    expect(uploaded.status).toBe(200);

    const faces = await readThroughEveryFace(contactId);
    expect(faces.native).toMatchObject({ name: "Zoë A.", email: "zoe.a@example.com" });
    expect(faces.native.avatar).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/avatars\//);
    for (const [face, facts] of Object.entries(faces)) expect(facts, face).toEqual(faces.native);
    expect((await api("GET", `/v1/contacts/${contactId}/labels`)).body.labels).toEqual(["vip"]);
  });

  it("agree on labels, contact inboxes and counts", async () => {
    const { admin } = fixture;
    const native = await getJson(`/v1/contacts/${contactId}?include_contact_inboxes=true`, {
      authorization: basicAuth(admin),
    });
    const chatwootLabels = await getJson(`/api/v1/accounts/${admin.accountId}/contacts/${contactId}/labels`, {
      api_access_token: admin.token,
    });
    expect(chatwootLabels.payload).toEqual(native.labels);
    const chatwoot = await getJson(`/api/v1/accounts/${admin.accountId}/contacts/${contactId}`, {
      api_access_token: admin.token,
    });
    expect(chatwoot.payload.contact_inboxes.map((ci: any) => [String(ci.inbox.id), ci.source_id])).toEqual(
      native.contact_inboxes.map((ci: any) => [ci.inbox.id, ci.source_id]),
    );
    const chatwootIndex = await getJson(`/api/v1/accounts/${admin.accountId}/contacts`, {
      api_access_token: admin.token,
    });
    const livedeskIndex = await getJson("/api/v2/accounts/contacts", { authorization: basicAuth(admin) });
    const imbraceIndex = await getJson("/channel-service/v1/contacts", { "x-api-key": admin.token });
    expect(chatwootIndex.meta.count).toBe(1);
    expect(livedeskIndex.meta.count).toBe(1);
    expect(imbraceIndex.count).toBe(1);
  });
});
