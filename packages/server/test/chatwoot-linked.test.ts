import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/core/actor.js";
import { type Credentials, httpClient, newAccount, useServer } from "./harness.js";

/**
 * What hangs off a contact in the Chatwoot face: inbox identities, contactable inboxes,
 * conversations, labels, notes, custom attribute removal, the avatar and merging.
 */

const fixture = useServer();
const path = (credentials: Credentials = fixture.admin) => `/api/v1/accounts/${credentials.accountId}`;

/** Every request as the Python SDK sends it: api_access_token and a JSON content type, body or not. */
function client(credentials: Credentials) {
  const send = httpClient(fixture.server.url);
  return (method: string, url: string, body?: unknown) =>
    send(method, url, body, { api_access_token: credentials.token, "content-type": "application/json" });
}

function actorOf(credentials: Credentials, role: Actor["role"] = "administrator"): Actor {
  return { accountId: credentials.accountId, userId: credentials.userId, role, credentialId: credentials.keyId };
}

let api: ReturnType<typeof client>;
let agentApi: ReturnType<typeof client>;
let foreignId: number;

async function newContact(body: object = { name: "Linked" }): Promise<number> {
  const res = await api("POST", `${path()}/contacts`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.payload.contact.id;
}

beforeAll(async () => {
  api = client(fixture.admin);
  agentApi = client(fixture.agent);
  const other = await newAccount(fixture.server.db);
  foreignId = (await client(other)("POST", `${path(other)}/contacts`, { name: "Foreign" })).body.payload.contact.id;
});

describe("Chatwoot face: tenancy of every contact route", () => {
  it("answers 404 for another account's contact on each of them", async () => {
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/contactable_inboxes"],
      ["GET", "/conversations"],
      ["GET", "/labels"],
      ["POST", "/labels", { labels: ["x"] }],
      ["GET", "/notes"],
      ["POST", "/notes", { note: { content: "x" } }],
      ["GET", "/notes/1"],
      ["PATCH", "/notes/1", { note: { content: "x" } }],
      ["DELETE", "/notes/1"],
      ["POST", "/destroy_custom_attributes", { custom_attributes: ["a"] }],
      ["DELETE", "/avatar"],
    ];
    for (const [method, suffix, body] of routes) {
      const res = await api(method, `${path()}/contacts/${foreignId}${suffix}`, body);
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.body).toEqual({ error: "Resource could not be found" });
    }
    const inbox = await fixture.server.core.inboxes.create(actorOf(fixture.admin), {
      name: "Mine",
      channelType: "Channel::Api",
    });
    const attach = await api("POST", `${path()}/contacts/${foreignId}/contact_inboxes`, { inbox_id: inbox.id });
    expect(attach.status).toBe(404);
    const merge = await api("POST", `${path()}/actions/contact_merge`, {
      base_contact_id: await newContact(),
      mergee_contact_id: foreignId,
    });
    expect(merge.status).toBe(404);
  });
});

describe("Chatwoot face: inboxes", () => {
  it("attaches a contact to an inbox, deriving the source id when none or an empty one is given", async () => {
    const actor = actorOf(fixture.admin);
    const email = await fixture.server.core.inboxes.create(actor, { name: "Mail", channelType: "Channel::Email" });
    const id = await newContact({ name: "Attach", email: "attach@example.com" });
    const res = await api("POST", `${path()}/contacts/${id}/contact_inboxes`, {
      inbox_id: String(email.id),
      source_id: "",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      source_id: "attach@example.com",
      inbox: {
        id: email.id,
        avatar_url: "",
        channel_id: email.id,
        name: "Mail",
        channel_type: "Channel::Email",
        provider: null,
      },
    });
    const unknown = await api("POST", `${path()}/contacts/${id}/contact_inboxes`, { inbox_id: 999999999 });
    expect(unknown.status).toBe(404);
    const missing = await api("POST", `${path()}/contacts/${id}/contact_inboxes`, { source_id: "x" });
    expect(missing.status).toBe(422);
    expect(missing.body.attributes).toEqual(["inbox_id"]);
  });

  it("offers each inbox the contact can be reached on, with the source id to use", async () => {
    const account = await newAccount(fixture.server.db);
    const actor = actorOf(account);
    const own = client(account);
    const inbox = (channelType: string) =>
      fixture.server.core.inboxes.create(actor, { name: channelType.slice(9), channelType });
    const [email, sms, whatsapp, twilio, apiInbox, web, voice, telegram, freshWeb] = [
      await inbox("Channel::Email"),
      await inbox("Channel::Sms"),
      await inbox("Channel::Whatsapp"),
      await inbox("Channel::TwilioSms"),
      await inbox("Channel::Api"),
      await inbox("Channel::WebWidget"),
      await inbox("Channel::Voice"),
      await inbox("Channel::Telegram"),
      await inbox("Channel::WebWidget"),
    ];
    const created = await own("POST", `${path(account)}/contacts`, {
      name: "Reachable",
      email: "reach@example.com",
      phone_number: "+15550003003",
      inbox_id: web?.id,
      source_id: "web-session-1",
    });
    const id = created.body.payload.contact.id;
    const res = await own("GET", `${path(account)}/contacts/${id}/contactable_inboxes`);
    expect(res.status).toBe(200);
    const offered = Object.fromEntries(
      res.body.payload.map((item: { source_id: string; inbox: { id: number } }) => [item.inbox.id, item.source_id]),
    );
    expect(offered[email?.id as number]).toBe("reach@example.com");
    expect(offered[sms?.id as number]).toBe("+15550003003");
    expect(offered[whatsapp?.id as number]).toBe("15550003003");
    expect(offered[twilio?.id as number]).toBe("+15550003003");
    expect(offered[voice?.id as number]).toBe("+15550003003");
    expect(offered[apiInbox?.id as number]).toMatch(/^[0-9a-f-]{36}$/);
    expect(offered[web?.id as number]).toBe("web-session-1");
    expect(offered).not.toHaveProperty(String(telegram?.id));
    expect(offered).not.toHaveProperty(String(freshWeb?.id));
    for (const item of res.body.payload) {
      expect(Object.keys(item.inbox).sort()).toEqual([
        "avatar_url",
        "channel_id",
        "channel_type",
        "id",
        "name",
        "provider",
      ]);
    }
    // A contact with nothing to offer still gets an API inbox.
    const bare = (await own("POST", `${path(account)}/contacts`, { name: "Bare" })).body.payload.contact.id;
    const bareOffer = (await own("GET", `${path(account)}/contacts/${bare}/contactable_inboxes`)).body.payload;
    expect(bareOffer.map((item: { inbox: { id: number } }) => item.inbox.id)).toEqual([apiInbox?.id]);
  });
});

describe("Chatwoot face: conversations", () => {
  it("lists at most 20, last activity first, in the shape the Python SDK's model takes", async () => {
    const actor = actorOf(fixture.admin);
    const inbox = await fixture.server.core.inboxes.create(actor, { name: "Chat", channelType: "Channel::WebWidget" });
    const id = await newContact({ name: "Talker", email: "talker@example.com" });
    const created: number[] = [];
    for (let i = 0; i < 21; i++) {
      const conversation = await fixture.server.core.conversations.create(actor, {
        contactId: id,
        inboxId: inbox.id,
        assigneeId: i === 20 ? fixture.admin.userId : null,
      });
      created.push(conversation.id);
    }
    const res = await api("GET", `${path()}/contacts/${id}/conversations`);
    expect(res.status).toBe(200);
    expect(res.body.payload).toHaveLength(20);
    expect(res.body.payload[0].id).toBe(created[20]);
    const timestamps = res.body.payload.map((c: { timestamp: number }) => c.timestamp);
    expect([...timestamps].sort((a, b) => b - a)).toEqual(timestamps);
    for (const conversation of res.body.payload) {
      for (const key of ["id", "account_id", "inbox_id", "unread_count", "timestamp", "created_at"]) {
        expect(Number.isInteger(conversation[key]), key).toBe(true);
      }
      for (const key of ["agent_last_seen_at", "contact_last_seen_at", "first_reply_created_at", "waiting_since"]) {
        expect(conversation[key] === null || Number.isInteger(conversation[key]), key).toBe(true);
      }
      expect(conversation.snoozed_until).toBeNull();
      expect(["open", "resolved", "pending", "snoozed"]).toContain(conversation.status);
      expect(conversation).toMatchObject({
        account_id: fixture.admin.accountId,
        inbox_id: inbox.id,
        unread_count: 0,
        can_reply: true,
        muted: false,
        labels: [],
        additional_attributes: {},
        custom_attributes: {},
        messages: [],
      });
      expect(conversation.meta.sender).toMatchObject({ id, name: "Talker", email: "talker@example.com" });
      expect(conversation.meta.sender).not.toHaveProperty("contact_inboxes");
    }
    expect(res.body.payload[0].meta.assignee).toMatchObject({ id: fixture.admin.userId, name: expect.any(String) });
    expect(res.body.payload[1].meta).not.toHaveProperty("assignee");
  });
});

describe("Chatwoot face: labels", () => {
  it("lists and replaces a contact's labels", async () => {
    const id = await newContact();
    expect((await api("GET", `${path()}/contacts/${id}/labels`)).body).toEqual({ payload: [] });
    const set = await api("POST", `${path()}/contacts/${id}/labels`, { labels: ["Beta", "alpha"] });
    expect(set.body).toEqual({ payload: ["alpha", "beta"] });
    const replaced = await agentApi("POST", `${path()}/contacts/${id}/labels`, { labels: ["gamma"] });
    expect(replaced.body).toEqual({ payload: ["gamma"] });
    expect((await api("GET", `${path()}/contacts/${id}/labels`)).body).toEqual({ payload: ["gamma"] });
    // As in Chatwoot, a body without labels leaves none.
    expect((await api("POST", `${path()}/contacts/${id}/labels`, {})).body).toEqual({ payload: [] });
    const bad = await api("POST", `${path()}/contacts/${id}/labels`, { labels: ["a,b"] });
    expect(bad.status).toBe(422);
    expect(bad.body.attributes).toEqual(["labels"]);
  });
});

describe("Chatwoot face: notes", () => {
  it("creates, lists newest first, shows, updates with PATCH and PUT, and deletes", async () => {
    const id = await newContact();
    const first = await api("POST", `${path()}/contacts/${id}/notes`, { note: { content: "First note" } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: expect.any(Number),
      content: "First note",
      account_id: fixture.admin.accountId,
      contact_id: id,
      user: { id: fixture.admin.userId, name: expect.any(String) },
    });
    expect(Number.isInteger(first.body.created_at)).toBe(true);
    expect(Number.isInteger(first.body.updated_at)).toBe(true);
    const second = (await api("POST", `${path()}/contacts/${id}/notes`, { note: { content: "Second" } })).body;

    const listed = await api("GET", `${path()}/contacts/${id}/notes`);
    expect(Array.isArray(listed.body)).toBe(true);
    expect(listed.body.map((n: { id: number }) => n.id)).toEqual([second.id, first.body.id]);

    const shown = await api("GET", `${path()}/contacts/${id}/notes/${first.body.id}`);
    expect(shown.body).toEqual(first.body);
    const patched = await api("PATCH", `${path()}/contacts/${id}/notes/${first.body.id}`, {
      note: { content: "Edited" },
    });
    expect(patched.body).toMatchObject({ id: first.body.id, content: "Edited" });
    const put = await api("PUT", `${path()}/contacts/${id}/notes/${first.body.id}`, { note: { content: "Again" } });
    expect(put.body.content).toBe("Again");

    const deleted = await api("DELETE", `${path()}/contacts/${id}/notes/${first.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toBeUndefined();
    expect((await api("GET", `${path()}/contacts/${id}/notes/${first.body.id}`)).status).toBe(404);
    expect((await api("GET", `${path()}/contacts/${id}/notes`)).body).toHaveLength(1);
  });

  it("refuses a missing note with Rails' parameter error and a blank one as a record error", async () => {
    const id = await newContact();
    for (const body of [{}, { note: {} }, { note: null }, { content: "not wrapped" }]) {
      const res = await api("POST", `${path()}/contacts/${id}/notes`, body);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: "param is missing or the value is empty: note" });
    }
    const blank = await api("POST", `${path()}/contacts/${id}/notes`, { note: { content: "  " } });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual({ message: "Content can't be blank", attributes: ["content"] });
  });

  it("lets only a note's author or an administrator change it (401 otherwise)", async () => {
    const id = await newContact();
    const note = (await api("POST", `${path()}/contacts/${id}/notes`, { note: { content: "Admin's" } })).body;
    const res = await agentApi("PATCH", `${path()}/contacts/${id}/notes/${note.id}`, { note: { content: "Agent's" } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "You are not authorized to do this action" });
    const own = (await agentApi("POST", `${path()}/contacts/${id}/notes`, { note: { content: "Mine" } })).body;
    expect((await agentApi("DELETE", `${path()}/contacts/${id}/notes/${own.id}`)).status).toBe(200);
  });
});

describe("Chatwoot face: removing attributes and the avatar", () => {
  it("removes the named custom attributes and answers the contact with its inboxes", async () => {
    const id = await newContact({ name: "Attrs", custom_attributes: { a: 1, b: 2, c: 3 } });
    const res = await api("POST", `${path()}/contacts/${id}/destroy_custom_attributes`, {
      custom_attributes: ["a", "c", "missing"],
    });
    expect(res.status).toBe(200);
    expect(res.body.payload).toMatchObject({ id, custom_attributes: { b: 2 } });
    expect(res.body.payload.contact_inboxes).toEqual([]);
  });

  it("clears the avatar and answers the contact without its inboxes", async () => {
    const id = await newContact({ name: "Face", avatar_url: "https://example.com/face.png" });
    const before = (await api("GET", `${path()}/contacts/${id}`)).body.payload;
    expect(before.thumbnail).toBe("https://example.com/face.png");
    const res = await agentApi("DELETE", `${path()}/contacts/${id}/avatar`);
    expect(res.status).toBe(200);
    expect(res.body.payload).toMatchObject({ id, thumbnail: "" });
    expect(res.body.payload).not.toHaveProperty("contact_inboxes");
  });
});

describe("Chatwoot face: merge", () => {
  it("answers the base contact bare; the base wins and the mergee fills blanks", async () => {
    const baseId = await newContact({ name: "Base", email: "base@example.com", custom_attributes: { a: 1 } });
    const mergeeId = await newContact({ name: "Mergee", phone_number: "+15550004004", custom_attributes: { b: 2 } });
    const res = await agentApi("POST", `${path()}/actions/contact_merge`, {
      base_contact_id: String(baseId),
      mergee_contact_id: mergeeId,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: baseId,
      name: "Base",
      email: "base@example.com",
      phone_number: "+15550004004",
      custom_attributes: { a: 1, b: 2 },
    });
    expect(res.body).not.toHaveProperty("payload");
    expect(res.body).not.toHaveProperty("contact_inboxes");
    expect((await api("GET", `${path()}/contacts/${mergeeId}`)).status).toBe(404);
  });

  it("answers a merge of a contact with itself with the contact unchanged", async () => {
    const id = await newContact({ name: "Self" });
    const res = await api("POST", `${path()}/actions/contact_merge`, { base_contact_id: id, mergee_contact_id: id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: "Self" });
    expect((await api("GET", `${path()}/contacts/${id}`)).status).toBe(200);
  });

  it("follows the account's rule on agents merging: 401 once it is withdrawn", async () => {
    const account = await newAccount(fixture.server.db);
    const actor = actorOf(account);
    const user = await fixture.server.core.auth.createUser(actor, { name: "Agent", role: "agent" });
    const key = await fixture.server.core.auth.createApiKey(actor, { userId: user.id });
    const agent = client({ ...account, userId: user.id, keyId: key.id, token: key.token });
    const own = client(account);
    const make = async (name: string) =>
      (await own("POST", `${path(account)}/contacts`, { name })).body.payload.contact.id as number;
    await fixture.server.core.account.updateSettings(actor, { agentsCanMerge: false });
    const res = await agent("POST", `${path(account)}/actions/contact_merge`, {
      base_contact_id: await make("A"),
      mergee_contact_id: await make("B"),
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "You are not authorized to do this action" });
  });

  it("answers 404 for an unknown contact and 422 without the ids", async () => {
    const id = await newContact();
    const unknown = await api("POST", `${path()}/actions/contact_merge`, {
      base_contact_id: id,
      mergee_contact_id: 999999999,
    });
    expect(unknown.status).toBe(404);
    const missing = await api("POST", `${path()}/actions/contact_merge`, { base_contact_id: id });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ message: "Mergee contact can't be blank", attributes: ["mergee_contact_id"] });
  });
});
