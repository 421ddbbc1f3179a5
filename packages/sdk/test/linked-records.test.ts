import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, newAgent, startServer, type TestServer } from "../../server/test/harness.js";
import {
  ConflictError,
  Contactd,
  ContactdError,
  type Conversation,
  type Inbox,
  NotFoundError,
  Page,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "../src/index.js";
import { collect, rejection } from "./helpers.js";

/** Inboxes, contact inboxes, conversations, activity logs and comments through the SDK, against the real server. */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUMERIC_ID = /^\d+$/;

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

interface Account {
  admin: Contactd;
  adminCreds: Credentials;
  agent: Contactd;
  agentCreds: Credentials;
}

/** An account of its own with an administrator and an agent (named "Agent"), so listings see only this test's records. */
async function newTeam(): Promise<Account> {
  const adminCreds = await newAccount(server.db);
  const agentCreds = await newAgent(server, adminCreds);
  return {
    admin: new Contactd({ baseUrl: server.url, token: adminCreds.token }),
    adminCreds,
    agent: new Contactd({ baseUrl: server.url, apiKey: agentCreds.key, apiSecret: agentCreds.secret }),
    agentCreds,
  };
}

describe("inboxes", () => {
  it("administrators create, list, get, rename and delete inboxes", async () => {
    const { admin, adminCreds } = await newTeam();
    expect(await admin.inboxes.list()).toEqual([]);

    const email = await admin.inboxes.create({ name: "Support mail", channel_type: "Channel::Email" });
    expect(email).toMatchObject({
      object_name: "inbox",
      organization_id: String(adminCreds.accountId),
      name: "Support mail",
      channel_type: "Channel::Email",
      provider: null,
    });
    expect(email.id).toMatch(NUMERIC_ID);
    expect(email.created_at).toMatch(ISO);
    expect(email.updated_at).toMatch(ISO);

    // Short channel names are accepted and stored as the full name.
    const whatsapp = await admin.inboxes.create({
      name: "WhatsApp",
      channel_type: "whatsapp",
      provider: "whatsapp_cloud",
    });
    expect(whatsapp.channel_type).toBe("Channel::Whatsapp");
    expect(whatsapp.provider).toBe("whatsapp_cloud");

    expect((await admin.inboxes.list()).map((inbox) => inbox.id)).toEqual([email.id, whatsapp.id]);
    expect(await admin.inboxes.get(email.id)).toEqual(email);
    expect(await admin.inboxes.get(Number(whatsapp.id))).toEqual(whatsapp);

    const renamed = await admin.inboxes.update(whatsapp.id, { name: "WhatsApp Sales" });
    expect(renamed).toMatchObject({ id: whatsapp.id, name: "WhatsApp Sales", provider: "whatsapp_cloud" });
    const cleared = await admin.inboxes.update(whatsapp.id, { provider: null });
    expect(cleared).toMatchObject({ name: "WhatsApp Sales", provider: null, channel_type: "Channel::Whatsapp" });
    expect(await admin.inboxes.get(whatsapp.id)).toEqual(cleared);

    expect(await admin.inboxes.delete(email.id)).toEqual({ object_name: "inbox", id: email.id, deleted: true });
    await expect(admin.inboxes.get(email.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(admin.inboxes.delete(email.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await admin.inboxes.list()).map((inbox) => inbox.id)).toEqual([whatsapp.id]);
  });

  it("agents read inboxes but may not create, change or delete them", async () => {
    const { admin, agent } = await newTeam();
    const inbox = await admin.inboxes.create({ name: "Web", channel_type: "Channel::WebWidget" });

    const denied = await rejection(agent.inboxes.create({ name: "Mine", channel_type: "api" }));
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied.status).toBe(403);
    await expect(agent.inboxes.update(inbox.id, { name: "Renamed" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(agent.inboxes.delete(inbox.id)).rejects.toBeInstanceOf(PermissionDeniedError);

    expect(await agent.inboxes.get(inbox.id)).toEqual(inbox);
    expect(await agent.inboxes.list()).toEqual([inbox]);
  });

  it("rejects an unknown channel type, naming the field", async () => {
    const { admin } = await newTeam();
    const error = await rejection(admin.inboxes.create({ name: "Pigeon", channel_type: "Channel::Pigeon" }));
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(error.details?.map((d) => d.field)).toEqual(["channel_type"]);
    expect(await admin.inboxes.list()).toEqual([]);
  });
});

describe("contact inboxes", () => {
  let team: Account;
  let emailInbox: Inbox;
  let apiInbox: Inbox;
  let whatsappInbox: Inbox;

  beforeAll(async () => {
    team = await newTeam();
    emailInbox = await team.admin.inboxes.create({ name: "Mail", channel_type: "email" });
    apiInbox = await team.admin.inboxes.create({ name: "API", channel_type: "Channel::Api" });
    whatsappInbox = await team.admin.inboxes.create({ name: "WA", channel_type: "Channel::Whatsapp" });
  });

  it("creating a contact in an email inbox derives the source id from the email", async () => {
    const contact = await team.admin.contacts.create({
      name: "Ada",
      email: "Ada@Example.com",
      inbox_id: emailInbox.id,
    });
    expect(contact.email).toBe("ada@example.com");
    expect(contact.contact_inboxes).toHaveLength(1);
    const [identity] = contact.contact_inboxes ?? [];
    expect(identity).toMatchObject({
      object_name: "contact_inbox",
      contact_id: contact.id,
      source_id: "ada@example.com",
      hmac_verified: false,
      inbox: { id: emailInbox.id, name: "Mail", channel_type: "Channel::Email", provider: null },
    });
    expect(identity?.id).toMatch(NUMERIC_ID);
    expect(identity?.created_at).toMatch(ISO);
  });

  it("API inboxes get a UUID, WhatsApp the phone without +, and a given source id and hmac_verified are kept", async () => {
    const contact = await team.admin.contacts.create({ name: "Grace", phone_number: "+1 415 555 0199" });
    expect(contact).not.toHaveProperty("contact_inboxes");

    const api = await team.admin.contacts.attachInbox(contact.id, { inbox_id: apiInbox.id });
    expect(api).toMatchObject({ object_name: "contact_inbox", contact_id: contact.id, inbox: { id: apiInbox.id } });
    expect(api.source_id).toMatch(UUID);

    const whatsapp = await team.admin.contacts.attachInbox(contact.id, { inbox_id: Number(whatsappInbox.id) });
    expect(whatsapp.source_id).toBe("14155550199");

    const given = await team.admin.contacts.create({
      name: "Given",
      inbox_id: apiInbox.id,
      source_id: "  crm-7781  ",
    });
    expect(given.contact_inboxes?.[0]?.source_id).toBe("crm-7781");

    const verified = await team.admin.contacts.attachInbox(given.id, {
      inbox_id: whatsappInbox.id,
      source_id: "4930901820",
      hmac_verified: true,
    });
    expect(verified).toMatchObject({ source_id: "4930901820", hmac_verified: true });

    // An email inbox derives the id from the email, and this contact has none.
    const underivable = await rejection(team.admin.contacts.attachInbox(given.id, { inbox_id: emailInbox.id }));
    expect(underivable).toBeInstanceOf(UnprocessableEntityError);
    expect(underivable.details?.[0]?.field).toBe("source_id");

    await expect(team.admin.contacts.attachInbox(given.id, { inbox_id: "999999999" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("include_contact_inboxes on get, list and search; get(id, requestOptions) still works", async () => {
    const { admin } = await newTeam();
    const mail = await admin.inboxes.create({ name: "Mail", channel_type: "email" });
    const api = await admin.inboxes.create({ name: "API", channel_type: "api" });
    const linked = await admin.contacts.create({ name: "Linked Lou", email: "lou@example.com", inbox_id: mail.id });
    const second = await admin.contacts.attachInbox(linked.id, { inbox_id: api.id });
    const plain = await admin.contacts.create({ name: "Plain Pat" });

    const withInboxes = await admin.contacts.get(linked.id, { include_contact_inboxes: true });
    expect(withInboxes.contact_inboxes?.map((ci) => [ci.inbox.id, ci.source_id])).toEqual([
      [mail.id, "lou@example.com"],
      [api.id, second.source_id],
    ]);
    expect(withInboxes.contact_inboxes?.[1]).toEqual(second);

    // The old signature, get(id, requestOptions), and params plus options.
    const old = await admin.contacts.get(linked.id, { timeout: 10_000, headers: { "x-test": "1" } });
    expect(old).not.toHaveProperty("contact_inboxes");
    expect(old.id).toBe(linked.id);
    const both = await admin.contacts.get(linked.id, { include_contact_inboxes: true }, { timeout: 10_000 });
    expect(both.contact_inboxes).toHaveLength(2);
    expect(await admin.contacts.get(linked.id, { include_contact_inboxes: false })).not.toHaveProperty(
      "contact_inboxes",
    );

    const listed = await admin.contacts.list({ include_contact_inboxes: true, sort: "name" });
    expect(listed.data.map((c) => [c.name, c.contact_inboxes?.length])).toEqual([
      ["Linked Lou", 2],
      ["Plain Pat", 0],
    ]);
    const listedPlain = await admin.contacts.list();
    expect(listedPlain.data.every((c) => !("contact_inboxes" in c))).toBe(true);

    const found = await admin.contacts.search({ q: "lou", include_contact_inboxes: true });
    expect(found.data.map((c) => c.id)).toEqual([linked.id]);
    expect(found.data[0]?.contact_inboxes?.map((ci) => ci.inbox.channel_type)).toEqual([
      "Channel::Email",
      "Channel::Api",
    ]);
    expect((await admin.contacts.search("pat")).data[0]).not.toHaveProperty("contact_inboxes");
    expect(plain.id).toMatch(NUMERIC_ID);
  });

  it("the same source id in the same inbox for another contact is a ConflictError naming the holder", async () => {
    const holder = await team.admin.contacts.create({ name: "Holder", inbox_id: apiInbox.id, source_id: "shared-1" });
    const other = await team.admin.contacts.create({ name: "Other" });

    const clash = await rejection(
      team.admin.contacts.attachInbox(other.id, { inbox_id: apiInbox.id, source_id: "shared-1" }),
    );
    expect(clash).toBeInstanceOf(ConflictError);
    expect(clash.code).toBe("source_id_taken");
    expect(clash.field).toBe("source_id");
    expect(clash.existingId).toBe(holder.id);

    // Creating a contact with a taken identity creates nothing.
    const onCreate = await rejection(
      team.admin.contacts.create({
        name: "Late",
        email: "late@example.com",
        inbox_id: apiInbox.id,
        source_id: "shared-1",
      }),
    );
    expect(onCreate).toBeInstanceOf(ConflictError);
    expect(onCreate.existingId).toBe(holder.id);
    await expect(team.admin.contacts.lookup({ email: "late@example.com" })).rejects.toBeInstanceOf(NotFoundError);

    // The same source id in another inbox is someone else's business.
    const elsewhere = await team.admin.contacts.attachInbox(other.id, {
      inbox_id: whatsappInbox.id,
      source_id: "shared-1",
    });
    expect(elsewhere.source_id).toBe("shared-1");
    const otherNow = await team.admin.contacts.get(other.id, { include_contact_inboxes: true });
    expect(otherNow.contact_inboxes?.map((ci) => ci.inbox.id)).toEqual([whatsappInbox.id]);
  });
});

describe("conversations", () => {
  let team: Account;
  let whatsapp: Inbox;
  let web: Inbox;
  let email: Inbox;

  beforeAll(async () => {
    team = await newTeam();
    whatsapp = await team.admin.inboxes.create({ name: "WhatsApp", channel_type: "Channel::Whatsapp" });
    web = await team.admin.inboxes.create({ name: "Website", channel_type: "Channel::WebWidget" });
    email = await team.admin.inboxes.create({ name: "Mail", channel_type: "Channel::Email" });
  });

  it("creates, gets and lists conversations with filters", async () => {
    const contact = await team.admin.contacts.create({ name: "Chatty" });
    const agentId = String(team.agentCreds.userId);

    const open = await team.admin.conversations.create({ contact_id: contact.id, inbox_id: whatsapp.id });
    expect(open).toMatchObject({
      object_name: "conversation",
      organization_id: String(team.adminCreds.accountId),
      contact_id: contact.id,
      inbox: { id: whatsapp.id, name: "WhatsApp", channel_type: "Channel::Whatsapp" },
      channel_type: "Channel::Whatsapp",
      status: "open",
      assignee: null,
      snoozed_until: null,
      labels: [],
    });
    expect(open.id).toMatch(NUMERIC_ID);
    for (const field of ["last_activity_at", "created_at", "updated_at"] as const) expect(open[field]).toMatch(ISO);

    const pending = await team.admin.conversations.create({
      contact_id: Number(contact.id),
      inbox_id: Number(email.id),
      status: "pending",
      assignee_id: team.agentCreds.userId,
    });
    expect(pending).toMatchObject({ status: "pending", assignee: { id: agentId, name: "Agent" } });

    expect(await team.admin.conversations.get(open.id)).toEqual(open);
    expect(await team.agent.conversations.get(pending.id)).toEqual(pending);

    const ids = async (params: Parameters<Contactd["conversations"]["list"]>[0]) =>
      (await collect(team.admin.conversations.list(params))).map((c) => c.id);
    expect(await ids({ contact_id: contact.id })).toEqual([pending.id, open.id]);
    expect(await ids({ contact_id: contact.id, status: "pending" })).toEqual([pending.id]);
    expect(await ids({ contact_id: contact.id, status: ["open", "resolved"] })).toEqual([open.id]);
    expect(await ids({ contact_id: contact.id, inbox_id: whatsapp.id })).toEqual([open.id]);
    expect(await ids({ contact_id: contact.id, assignee_id: agentId })).toEqual([pending.id]);
    expect(await ids({ contact_id: contact.id, channel_types: ["email"] })).toEqual([pending.id]);
    expect(await ids({ contact_id: contact.id, channel_types: "whatsapp,Channel::Email" })).toEqual([
      pending.id,
      open.id,
    ]);

    const badStatus = await rejection(
      team.admin.conversations.create({ contact_id: contact.id, inbox_id: web.id, status: "closed" as "open" }),
    );
    expect(badStatus).toBeInstanceOf(UnprocessableEntityError);
  });

  it("updates status, assigns, unassigns, labels and snoozes", async () => {
    const contact = await team.admin.contacts.create({ name: "Updatable" });
    const conversation = await team.admin.conversations.create({ contact_id: contact.id, inbox_id: web.id });
    const agentId = String(team.agentCreds.userId);

    const resolved = await team.admin.conversations.update(conversation.id, { status: "resolved" });
    expect(resolved).toMatchObject({ id: conversation.id, status: "resolved", assignee: null });
    expect(Date.parse(resolved.last_activity_at)).toBeGreaterThanOrEqual(Date.parse(conversation.last_activity_at));

    const assigned = await team.admin.conversations.update(conversation.id, { assignee_id: agentId });
    expect(assigned).toMatchObject({ status: "resolved", assignee: { id: agentId, name: "Agent" } });

    const labelled = await team.admin.conversations.update(conversation.id, { labels: ["Billing", "urgent"] });
    expect(labelled).toMatchObject({ labels: ["billing", "urgent"], assignee: { id: agentId } });

    const unassigned = await team.admin.conversations.update(conversation.id, { assignee_id: null });
    expect(unassigned.assignee).toBeNull();
    expect(unassigned.labels).toEqual(["billing", "urgent"]);

    const until = new Date(Date.now() + 86_400_000);
    const snoozed = await team.agent.conversations.update(conversation.id, { status: "snoozed", snoozed_until: until });
    expect(snoozed.status).toBe("snoozed");
    expect(snoozed.snoozed_until).toBe(until.toISOString());

    const reopened = await team.admin.conversations.update(conversation.id, { status: "open", labels: [] });
    expect(reopened).toMatchObject({ status: "open", snoozed_until: null, labels: [], assignee: null });
    expect(await team.admin.conversations.get(conversation.id)).toEqual(reopened);

    const unknownUser = await rejection(team.admin.conversations.update(conversation.id, { assignee_id: "999999999" }));
    expect(unknownUser).toBeInstanceOf(UnprocessableEntityError);
    expect(unknownUser.details?.map((d) => d.field)).toEqual(["assignee_id"]);
    await expect(team.admin.conversations.update("999999999", { status: "open" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('getConversations filters by channelTypes: "whatsapp,web", an array, or full names', async () => {
    const contact = await team.admin.contacts.create({ name: "Multichannel" });
    const viaWhatsapp = await team.admin.conversations.create({ contact_id: contact.id, inbox_id: whatsapp.id });
    const viaWeb = await team.admin.conversations.create({ contact_id: contact.id, inbox_id: web.id });
    const viaEmail = await team.admin.conversations.create({ contact_id: contact.id, inbox_id: email.id });
    // Someone else's conversation in the same inbox stays out of this contact's list.
    const stranger = await team.admin.contacts.create({ name: "Stranger" });
    await team.admin.conversations.create({ contact_id: stranger.id, inbox_id: whatsapp.id });

    const page = await team.admin.contacts.getConversations(contact.id, { channelTypes: "whatsapp,web" });
    expect(page).toBeInstanceOf(Page);
    expect(page.data.map((c) => c.id)).toEqual([viaWeb.id, viaWhatsapp.id]);
    expect(page.data.map((c) => c.channel_type)).toEqual(["Channel::WebWidget", "Channel::Whatsapp"]);
    expect(page.data.every((c) => c.contact_id === contact.id)).toBe(true);
    expect(page.has_more).toBe(false);
    expect(page.next_cursor).toBeNull();

    const ids = async (conversations: AsyncIterable<Conversation>) => (await collect(conversations)).map((c) => c.id);
    expect(await ids(team.admin.contacts.getConversations(contact.id, { channelTypes: ["email", "web"] }))).toEqual([
      viaEmail.id,
      viaWeb.id,
    ]);
    expect(
      await ids(team.admin.contacts.getConversations(contact.id, { channelTypes: ["Channel::Whatsapp"] })),
    ).toEqual([viaWhatsapp.id]);
    expect(await ids(team.admin.contacts.getConversations(contact.id, { channel_types: "EMAIL" }))).toEqual([
      viaEmail.id,
    ]);
    expect(await ids(team.admin.contacts.getConversations(contact.id))).toEqual([
      viaEmail.id,
      viaWeb.id,
      viaWhatsapp.id,
    ]);
    expect(await ids(team.admin.contacts.getConversations(contact.id, { channelTypes: "telegram" }))).toEqual([]);

    const unknown = await rejection(team.admin.contacts.getConversations(contact.id, { channelTypes: "pigeon" }));
    expect(unknown).toBeInstanceOf(UnprocessableEntityError);
    expect(unknown.details?.[0]?.field).toBe("channel_types");
  });

  it("getConversations pages by skip across several pages, keeping the channel filter", async () => {
    const contact = await team.admin.contacts.create({ name: "Busy" });
    const inboxes = [whatsapp, web, email];
    const created: Conversation[] = [];
    for (let i = 0; i < 11; i++) {
      created.push(
        await team.admin.conversations.create({ contact_id: contact.id, inbox_id: (inboxes[i % 3] as Inbox).id }),
      );
    }
    const newestFirst = [...created].reverse();
    const chatIds = newestFirst.filter((c) => c.channel_type !== "Channel::Email").map((c) => c.id);
    expect(chatIds).toHaveLength(8);

    const first = await team.admin.contacts.getConversations(contact.id, { channelTypes: "whatsapp,web", limit: 3 });
    expect(first.data.map((c) => c.id)).toEqual(chatIds.slice(0, 3));
    expect(first.has_more).toBe(true);
    const second = await first.getNextPage();
    expect(second.data.map((c) => c.id)).toEqual(chatIds.slice(3, 6));

    const sizes: number[] = [];
    for await (const page of first.iterPages()) sizes.push(page.data.length);
    expect(sizes).toEqual([3, 3, 2]);

    const all = await collect(
      team.admin.contacts.getConversations(contact.id, { channelTypes: "whatsapp,web", limit: 3 }),
    );
    expect(all.map((c) => c.id)).toEqual(chatIds);
    expect(all.some((c) => c.channel_type === "Channel::Email")).toBe(false);

    const fromSkip = await collect(team.admin.contacts.getConversations(contact.id, { limit: 4, skip: 5 }));
    expect(fromSkip.map((c) => c.id)).toEqual(newestFirst.slice(5).map((c) => c.id));

    const everything = await collect(team.admin.conversations.list({ contact_id: contact.id, limit: 2 }));
    expect(everything.map((c) => c.id)).toEqual(newestFirst.map((c) => c.id));
  });
});

describe("activities", () => {
  it("getActivities(conversationId) is the conversation's log, newest first, with actors and details", async () => {
    const { admin, adminCreds, agent, agentCreds } = await newTeam();
    const inbox = await admin.inboxes.create({ name: "Web", channel_type: "web" });
    const contact = await admin.contacts.create({ name: "Logged" });
    const conversation = await admin.conversations.create({ contact_id: contact.id, inbox_id: inbox.id });
    await admin.conversations.update(conversation.id, { status: "pending" });
    await admin.conversations.update(conversation.id, { assignee_id: agentCreds.userId });
    await agent.conversations.update(conversation.id, { status: "resolved" });
    await admin.conversations.update(conversation.id, { labels: ["vip"] });
    // No change, no entry.
    await admin.conversations.update(conversation.id, { status: "resolved" });

    const page = await admin.contacts.getActivities(conversation.id);
    expect(page).toBeInstanceOf(Page);
    expect(page.data.map((a) => a.action)).toEqual([
      "conversation.labels_changed",
      "conversation.status_changed",
      "conversation.assigned",
      "conversation.status_changed",
      "conversation.created",
    ]);
    const administrator = { id: String(adminCreds.userId), name: "Administrator" };
    expect(page.data.map((a) => a.actor)).toEqual([
      administrator,
      { id: String(agentCreds.userId), name: "Agent" },
      administrator,
      administrator,
      administrator,
    ]);
    for (const activity of page.data) {
      expect(activity).toMatchObject({
        object_name: "activity",
        contact_id: contact.id,
        conversation_id: conversation.id,
      });
      expect(activity.id).toMatch(NUMERIC_ID);
      expect(activity.created_at).toMatch(ISO);
    }
    const [labelled, resolved, assigned, pending, created] = page.data;
    expect(labelled?.details).toEqual({ added: ["vip"], removed: [] });
    expect(resolved?.details).toEqual({ from: "pending", to: "resolved" });
    expect(pending?.details).toEqual({ from: "open", to: "pending" });
    expect(created?.details).toMatchObject({ status: "open" });
    expect(String(created?.details.inbox_id)).toBe(inbox.id);
    expect(assigned?.details.from).toBeNull();
    expect(String(assigned?.details.to)).toBe(String(agentCreds.userId));
    const ids = page.data.map((a) => Number(a.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    // The same log from conversations.activities, one entry per page.
    const onePerPage = await admin.conversations.activities(conversation.id, { limit: 1 });
    expect(onePerPage.data).toHaveLength(1);
    expect(onePerPage.has_more).toBe(true);
    expect(await collect(admin.conversations.activities(conversation.id, { limit: 2 }))).toEqual(page.data);
    expect((await admin.contacts.getActivities(conversation.id, { skip: 3 })).data).toEqual(page.data.slice(3));
  });

  it("getHistory is the contact's own history: created, updated with changes, labels, comments", async () => {
    const { admin, adminCreds } = await newTeam();
    const inbox = await admin.inboxes.create({ name: "Web", channel_type: "web" });
    const contact = await admin.contacts.create({ name: "Old Name", email: "history@example.com" });
    await admin.contacts.update(contact.id, { name: "New Name", custom_attributes: { plan: "pro" } });
    await admin.contacts.labels.add(contact.id, ["vip"]);
    const comment = await admin.contacts.comments.create(contact.id, { text: "Called about the invoice" });
    // Conversation entries belong to the conversation's log, not the contact's history.
    const conversation = await admin.conversations.create({ contact_id: contact.id, inbox_id: inbox.id });
    await admin.conversations.update(conversation.id, { status: "resolved" });

    const history = await collect(admin.contacts.getHistory(contact.id));
    expect(history.map((a) => a.action)).toEqual([
      "comment.created",
      "contact.labels_changed",
      "contact.updated",
      "contact.created",
    ]);
    for (const activity of history) {
      expect(activity).toMatchObject({
        object_name: "activity",
        contact_id: contact.id,
        conversation_id: null,
        actor: { id: String(adminCreds.userId), name: "Administrator" },
      });
    }
    const [commented, labelled, updated, created] = history;
    expect(updated?.details).toEqual({
      changes: {
        name: { from: "Old Name", to: "New Name" },
        "custom_attributes.plan": { from: null, to: "pro" },
      },
    });
    expect(created?.details.changes).toMatchObject({
      name: expect.objectContaining({ to: "Old Name" }),
      email: { from: null, to: "history@example.com" },
    });
    expect(labelled?.details).toEqual({ added: ["vip"], removed: [] });
    expect(String(commented?.details.comment_id)).toBe(comment.id);

    const paged = await admin.contacts.getHistory(contact.id, { limit: 3 });
    expect(paged.data).toEqual(history.slice(0, 3));
    expect(paged.has_more).toBe(true);
    expect(await collect(admin.contacts.getHistory(contact.id, { limit: 1 }))).toEqual(history);
    expect((await admin.contacts.getHistory(contact.id, { skip: 2, limit: 1 })).data).toEqual([updated]);
  });
});

describe("comments", () => {
  it("creates, lists newest first with _id, updates and deletes", async () => {
    const { admin, adminCreds } = await newTeam();
    const contact = await admin.contacts.create({ name: "Noted" });
    expect((await admin.contacts.getComments(contact.id)).data).toEqual([]);

    const first = await admin.contacts.comments.create(contact.id, { text: "First note" });
    expect(first).toMatchObject({
      object_name: "comment",
      contact_id: contact.id,
      text: "First note",
      author: { id: String(adminCreds.userId), name: "Administrator" },
      mentions: [],
    });
    expect(first.id).toMatch(NUMERIC_ID);
    expect(first._id).toBe(first.id);
    expect(first.created_at).toMatch(ISO);
    expect(first.updated_at).toMatch(ISO);
    const second = await admin.contacts.comments.create(contact.id, { text: "Second note" });
    const third = await admin.contacts.comments.create(Number(contact.id), { text: "  Third note \n" });
    expect(third.text).toBe("Third note");

    const page = await admin.contacts.getComments(contact.id);
    expect(page.data.map((c) => c._id)).toEqual([third.id, second.id, first.id]);
    expect(page.data.map((c) => c.text)).toEqual(["Third note", "Second note", "First note"]);
    expect(page.data[2]).toEqual(first);

    const twoPerPage = await admin.contacts.getComments(contact.id, { limit: 2 });
    expect(twoPerPage.data.map((c) => c.id)).toEqual([third.id, second.id]);
    expect(twoPerPage.has_more).toBe(true);
    expect((await twoPerPage.getNextPage()).data.map((c) => c.id)).toEqual([first.id]);
    expect((await collect(admin.contacts.comments.list(contact.id, { limit: 1 }))).map((c) => c.id)).toEqual([
      third.id,
      second.id,
      first.id,
    ]);

    const edited = await admin.contacts.comments.update(contact.id, first.id, { text: "First note, edited" });
    expect(edited).toMatchObject({
      id: first.id,
      _id: first.id,
      text: "First note, edited",
      created_at: first.created_at,
    });
    expect(Date.parse(edited.updated_at)).toBeGreaterThanOrEqual(Date.parse(first.updated_at));

    expect(await admin.contacts.comments.delete(contact.id, second.id)).toEqual({
      object_name: "comment",
      id: second.id,
      deleted: true,
    });
    const after = await admin.contacts.getComments(contact.id);
    expect(after.data.map((c) => [c.id, c.text])).toEqual([
      [third.id, "Third note"],
      [first.id, "First note, edited"],
    ]);
    await expect(admin.contacts.comments.delete(contact.id, second.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(admin.contacts.comments.update(contact.id, second.id, { text: "x" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // A comment is addressed through its own contact only.
    const elsewhere = await admin.contacts.create({ name: "Elsewhere" });
    await expect(admin.contacts.comments.update(elsewhere.id, first.id, { text: "x" })).rejects.toBeInstanceOf(
      NotFoundError,
    );

    const blank = await rejection(admin.contacts.comments.create(contact.id, { text: "   " }));
    expect(blank).toBeInstanceOf(UnprocessableEntityError);
    expect(blank.details?.[0]?.field).toBe("text");

    const history = await collect(admin.contacts.getHistory(contact.id));
    expect(history.map((a) => a.action).filter((action) => action.startsWith("comment."))).toEqual([
      "comment.deleted",
      "comment.updated",
      "comment.created",
      "comment.created",
      "comment.created",
    ]);
  });

  it("mentions come from the text's markup and from the mentions array; unknown users are rejected", async () => {
    const { admin, adminCreds, agentCreds } = await newTeam();
    const contact = await admin.contacts.create({ name: "Mentioned" });
    const agentId = String(agentCreds.userId);
    const adminId = String(adminCreds.userId);

    const text = `Please call back [@Agent](mention://user/${agentId}/Agent)`;
    const byMarkup = await admin.contacts.comments.create(contact.id, { text });
    expect(byMarkup.text).toBe(text);
    expect(byMarkup.mentions).toEqual([{ user_id: agentId, name: "Agent" }]);

    const byArray = await admin.contacts.comments.create(contact.id, { text: "FYI", mentions: [agentCreds.userId] });
    expect(byArray.mentions).toEqual([{ user_id: agentId, name: "Agent" }]);

    const both = await admin.contacts.comments.create(contact.id, { text, mentions: [adminId, agentId] });
    expect(both.mentions).toEqual(
      [
        { user_id: adminId, name: "Administrator" },
        { user_id: agentId, name: "Agent" },
      ].sort((a, b) => Number(a.user_id) - Number(b.user_id)),
    );
    expect((await admin.contacts.getComments(contact.id)).data[0]?.mentions).toEqual(both.mentions);

    // An edit replaces the mentions with those of the new text.
    const plain = await admin.contacts.comments.update(contact.id, byMarkup.id, { text: "Done, no one to ping" });
    expect(plain.mentions).toEqual([]);
    const remention = await admin.contacts.comments.update(contact.id, plain.id, {
      text: "Again",
      mentions: [agentId],
    });
    expect(remention.mentions).toEqual([{ user_id: agentId, name: "Agent" }]);

    const unknownInArray = await rejection(
      admin.contacts.comments.create(contact.id, { text: "Who?", mentions: ["999999999"] }),
    );
    expect(unknownInArray).toBeInstanceOf(UnprocessableEntityError);
    expect(unknownInArray.details).toEqual([expect.objectContaining({ field: "mentions", code: "unknown_user" })]);

    const unknownInMarkup = await rejection(
      admin.contacts.comments.create(contact.id, { text: "Hi [@Ghost](mention://user/999999998/Ghost)" }),
    );
    expect(unknownInMarkup).toBeInstanceOf(UnprocessableEntityError);

    // A user of another account is unknown here.
    const outsider = await newAccount(server.db);
    await expect(
      admin.contacts.comments.create(contact.id, { text: "cc", mentions: [outsider.userId] }),
    ).rejects.toBeInstanceOf(UnprocessableEntityError);

    await expect(
      admin.contacts.comments.update(contact.id, byArray.id, { text: "x", mentions: ["not-an-id"] }),
    ).rejects.toBeInstanceOf(UnprocessableEntityError);
    // Nothing was written by the failed calls.
    expect((await admin.contacts.getComments(contact.id)).data.map((c) => c.id)).toEqual([
      both.id,
      byArray.id,
      byMarkup.id,
    ]);
  });

  it("only the author or an administrator may edit or delete a comment", async () => {
    const { admin, agent, agentCreds } = await newTeam();
    const contact = await admin.contacts.create({ name: "Shared" });
    const adminsNote = await admin.contacts.comments.create(contact.id, { text: "Admin's note" });

    const editDenied = await rejection(agent.contacts.comments.update(contact.id, adminsNote.id, { text: "Hijacked" }));
    expect(editDenied).toBeInstanceOf(PermissionDeniedError);
    expect(editDenied.status).toBe(403);
    await expect(agent.contacts.comments.delete(contact.id, adminsNote.id)).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    expect((await agent.contacts.getComments(contact.id)).data).toEqual([adminsNote]);

    const agentsNote = await agent.contacts.comments.create(contact.id, { text: "Agent's note" });
    expect(agentsNote.author).toEqual({ id: String(agentCreds.userId), name: "Agent" });
    const ownEdit = await agent.contacts.comments.update(contact.id, agentsNote.id, { text: "Agent's note, v2" });
    expect(ownEdit.text).toBe("Agent's note, v2");

    const adminEdit = await admin.contacts.comments.update(contact.id, agentsNote.id, { text: "Tidied by admin" });
    expect(adminEdit).toMatchObject({ text: "Tidied by admin", author: { id: String(agentCreds.userId) } });
    await admin.contacts.comments.delete(contact.id, agentsNote.id);
    expect((await admin.contacts.getComments(contact.id)).data.map((c) => c.id)).toEqual([adminsNote.id]);
  });
});

describe("tenancy", () => {
  it("another account's contacts, conversations, inboxes and comments are NotFoundError", async () => {
    const ours = await newTeam();
    const theirs = await newTeam();
    const inbox = await ours.admin.inboxes.create({ name: "Web", channel_type: "web" });
    const contact = await ours.admin.contacts.create({ name: "Private", inbox_id: inbox.id });
    const conversation = await ours.admin.conversations.create({ contact_id: contact.id, inbox_id: inbox.id });
    const comment = await ours.admin.contacts.comments.create(contact.id, { text: "Secret" });
    const c = theirs.admin;

    const notFound = async (promise: Promise<unknown>, code: string) => {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.code).toBe(code);
    };
    await notFound(c.contacts.get(contact.id, { include_contact_inboxes: true }), "contact_not_found");
    await notFound(c.contacts.getConversations(contact.id, { channelTypes: "web" }), "contact_not_found");
    await notFound(c.contacts.getComments(contact.id), "contact_not_found");
    await notFound(c.contacts.getHistory(contact.id), "contact_not_found");
    await notFound(c.contacts.comments.create(contact.id, { text: "hi" }), "contact_not_found");
    await notFound(c.contacts.comments.update(contact.id, comment.id, { text: "hi" }), "comment_not_found");
    await notFound(c.contacts.comments.delete(contact.id, comment.id), "comment_not_found");
    await notFound(c.contacts.attachInbox(contact.id, { inbox_id: inbox.id }), "contact_not_found");
    await notFound(c.conversations.get(conversation.id), "conversation_not_found");
    await notFound(c.conversations.update(conversation.id, { status: "resolved" }), "conversation_not_found");
    await notFound(c.contacts.getActivities(conversation.id), "conversation_not_found");
    await notFound(c.conversations.activities(conversation.id), "conversation_not_found");
    await notFound(c.conversations.list({ contact_id: contact.id }), "contact_not_found");
    await notFound(c.inboxes.get(inbox.id), "inbox_not_found");
    await notFound(c.inboxes.delete(inbox.id), "inbox_not_found");
    await notFound(c.conversations.create({ contact_id: contact.id, inbox_id: inbox.id }), "contact_not_found");
    const theirContact = await c.contacts.create({ name: "Theirs" });
    await notFound(c.conversations.create({ contact_id: theirContact.id, inbox_id: inbox.id }), "inbox_not_found");
    await notFound(c.contacts.attachInbox(theirContact.id, { inbox_id: inbox.id }), "inbox_not_found");
    expect(await c.inboxes.list()).toEqual([]);
    expect((await c.conversations.list()).data).toEqual([]);

    // Nothing changed on our side.
    expect(await ours.admin.conversations.get(conversation.id)).toEqual(conversation);
    expect((await ours.admin.contacts.getComments(contact.id)).data).toEqual([comment]);
  });

  it("a bad id rejects the returned promise instead of throwing at the call", async () => {
    const { admin } = await newTeam();
    const calls: Array<() => PromiseLike<unknown>> = [
      () => admin.contacts.getConversations(""),
      () => admin.contacts.getComments(" "),
      () => admin.contacts.getActivities(""),
      () => admin.contacts.getHistory(""),
      () => admin.conversations.activities(""),
      () => admin.contacts.comments.update("1", "", { text: "x" }),
      () => admin.inboxes.get(""),
    ];
    for (const call of calls) {
      let pending: PromiseLike<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(Promise.resolve(pending)).rejects.toBeInstanceOf(ContactdError);
    }
    // Ids that are not positive integers name nothing on the server.
    await expect(admin.conversations.get("abc")).rejects.toBeInstanceOf(NotFoundError);
  });
});
