import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAccount, type TestServer, useServer } from "./harness.js";

describe("conversations and their activity log", () => {
  const fixture = useServer();
  let server: TestServer;
  let admin: Credentials;
  let agent: Credentials;
  let api: ReturnType<typeof httpClient>;
  const inbox: Record<string, string> = {};

  beforeAll(async () => {
    ({ server, admin, api, agent } = fixture);
    for (const type of ["whatsapp", "web", "email"]) {
      inbox[type] = (await api("POST", "/v1/inboxes", { name: type, channel_type: type })).body.id;
    }
  });

  it("starts a conversation, changes status and assignee, and logs each change with its actor", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Talker" })).body;
    expect(contact.last_activity_at).toBeNull();
    const created = await api("POST", "/v1/conversations", {
      contact_id: contact.id,
      inbox_id: Number(inbox.whatsapp),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object_name: "conversation",
      contact_id: contact.id,
      status: "open",
      assignee: null,
      channel_type: "Channel::Whatsapp",
      inbox: { id: inbox.whatsapp },
    });
    const id = created.body.id;
    const agentApi = httpClient(server.url, basicAuth(agent));
    const assigned = await agentApi("PATCH", `/v1/conversations/${id}`, {
      assignee_id: String(agent.userId),
      status: "pending",
    });
    expect(assigned.body).toMatchObject({ status: "pending", assignee: { id: String(agent.userId), name: "Agent" } });
    const snoozed = await api("PATCH", `/v1/conversations/${id}`, {
      status: "snoozed",
      snoozed_until: "2030-01-01T00:00:00Z",
    });
    expect(snoozed.body.snoozed_until).toBe("2030-01-01T00:00:00.000Z");
    const resolved = await api("PATCH", `/v1/conversations/${id}`, {
      status: "resolved",
      assignee_id: null,
      labels: ["Billing"],
    });
    expect(resolved.body).toMatchObject({
      status: "resolved",
      assignee: null,
      snoozed_until: null,
      labels: ["billing"],
    });

    const log = (await api("GET", `/v1/conversations/${id}/activities`)).body.data;
    expect(log.map((a: { action: string }) => a.action)).toEqual([
      "conversation.labels_changed",
      "conversation.assigned",
      "conversation.status_changed",
      "conversation.status_changed",
      "conversation.assigned",
      "conversation.status_changed",
      "conversation.created",
    ]);
    expect(log[4]).toMatchObject({
      actor: { id: String(agent.userId) },
      details: { from: null, to: String(agent.userId) },
    });
    expect(log[5].details).toEqual({ from: "open", to: "pending" });
    expect(log[1].actor.id).toBe(String(admin.userId));

    const touched = (await api("GET", `/v1/contacts/${contact.id}`)).body;
    expect(touched.last_activity_at).not.toBeNull();
  });

  it("lists a contact's conversations newest activity first, filtered by channel, paginated", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Channels" })).body;
    const ids: string[] = [];
    for (const type of ["whatsapp", "web", "email", "whatsapp"]) {
      ids.push((await api("POST", "/v1/conversations", { contact_id: contact.id, inbox_id: inbox[type] })).body.id);
    }
    await api("PATCH", `/v1/conversations/${ids[0]}`, { status: "pending" });
    const all = (await api("GET", `/v1/contacts/${contact.id}/conversations`)).body.data.map(
      (c: { id: string }) => c.id,
    );
    expect(all).toEqual([ids[0], ids[3], ids[2], ids[1]]);
    for (const query of ["channel_types=whatsapp,web", "channel_types=whatsapp&channel_types=Channel::WebWidget"]) {
      const filtered = (await api("GET", `/v1/contacts/${contact.id}/conversations?${query}`)).body.data;
      expect(
        filtered.map((c: { id: string }) => c.id),
        query,
      ).toEqual([ids[0], ids[3], ids[1]]);
    }
    const page1 = (await api("GET", `/v1/contacts/${contact.id}/conversations?limit=3`)).body;
    const page2 = (await api("GET", `/v1/contacts/${contact.id}/conversations?limit=3&skip=3`)).body;
    expect(page1.has_more).toBe(true);
    expect(page2.has_more).toBe(false);
    expect([...page1.data, ...page2.data].map((c: { id: string }) => c.id)).toEqual(all);
    expect((await api("GET", `/v1/contacts/${contact.id}/conversations?channel_types=pigeon`)).status).toBe(422);

    const byStatus = (await api("GET", `/v1/conversations?contact_id=${contact.id}&status=pending`)).body.data;
    expect(byStatus.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    const byInbox = (await api("GET", `/v1/conversations?inbox_id=${inbox.email}&contact_id=${contact.id}`)).body.data;
    expect(byInbox.map((c: { id: string }) => c.id)).toEqual([ids[2]]);
  });

  it("starts a blocked contact's conversation resolved", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Blocked", blocked: true })).body;
    const conversation = await api("POST", "/v1/conversations", { contact_id: contact.id, inbox_id: inbox.web });
    expect(conversation.body.status).toBe("resolved");
  });

  it("refuses bad input and unknown or foreign records, changing nothing", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Strict" })).body;
    const good = { contact_id: contact.id, inbox_id: inbox.web };
    expect((await api("POST", "/v1/conversations", { ...good, status: "closed" })).status).toBe(422);
    expect((await api("POST", "/v1/conversations", { ...good, assignee_id: "999999" })).status).toBe(422);
    expect((await api("POST", "/v1/conversations", { ...good, contact_id: "abc" })).status).toBe(422);
    expect((await api("POST", "/v1/conversations", { ...good, contact_id: "999999" })).status).toBe(404);
    expect((await api("POST", "/v1/conversations", { ...good, inbox_id: 999999 })).status).toBe(404);
    expect((await api("POST", "/v1/conversations", { inbox_id: inbox.web })).status).toBe(422);
    expect((await api("GET", `/v1/contacts/${contact.id}/conversations`)).body.data).toEqual([]);

    const other = httpClient(server.url, basicAuth(await newAccount(server.db)));
    const theirUser = (await other("GET", "/v1/me")).body.user.id;
    const id = (await api("POST", "/v1/conversations", good)).body.id;
    expect((await api("PATCH", `/v1/conversations/${id}`, { assignee_id: theirUser })).status).toBe(422);
    expect((await other("GET", `/v1/conversations/${id}`)).status).toBe(404);
    expect((await other("PATCH", `/v1/conversations/${id}`, { status: "resolved" })).status).toBe(404);
    expect((await other("GET", `/v1/conversations/${id}/activities`)).status).toBe(404);
    expect((await other("POST", "/v1/conversations", good)).status).toBe(404);
    expect((await api("GET", `/v1/conversations/${id}`)).body.status).toBe("open");
  });
});
