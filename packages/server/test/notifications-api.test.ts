import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { type Credentials, type httpClient, type TestServer, useServer } from "./harness.js";

describe("notifications", () => {
  const fixture = useServer();
  let server: TestServer;
  let admin: Credentials;
  let agent: Credentials;
  let api: ReturnType<typeof httpClient>;
  let agentApi: ReturnType<typeof httpClient>;
  let contactId: string;
  let inboxId: string;

  beforeAll(async () => {
    ({ server, admin, api, agent, agentApi } = fixture);
    contactId = (await api("POST", "/v1/contacts", { name: "Concerned" })).body.id;
    inboxId = (await api("POST", "/v1/inboxes", { name: "Web", channel_type: "web" })).body.id;
  });

  const mention = (userId: number, by = api) =>
    by("POST", `/v1/contacts/${contactId}/comments`, { text: `hey [@U](mention://user/${userId}/U)` });

  it("tells a user they were mentioned or assigned, not the one who did it", async () => {
    await mention(agent.userId);
    await mention(admin.userId, api);
    const conversation = (await api("POST", "/v1/conversations", { contact_id: contactId, inbox_id: inboxId })).body;
    await api("PATCH", `/v1/conversations/${conversation.id}`, { assignee_id: String(agent.userId) });
    await agentApi("PATCH", `/v1/conversations/${conversation.id}`, {
      assignee_id: String(agent.userId),
      status: "pending",
    });
    await server.core.events.dispatchAll();

    const mine = (await agentApi("GET", "/v1/notifications")).body;
    expect(mine.data.map((n: { type: string }) => n.type)).toEqual(["conversation_assigned", "mention"]);
    expect(mine).toMatchObject({ total: 2, unread_count: 2, has_more: false });
    expect(mine.data[0]).toMatchObject({
      object_name: "notification",
      actor: { id: String(admin.userId) },
      contact_id: contactId,
      conversation_id: conversation.id,
      read: false,
    });
    // The admin follows the contact (they commented on it), so hears of the agent's status change only.
    const admins = (await api("GET", "/v1/notifications")).body.data;
    expect(admins).toHaveLength(1);
    expect(admins[0]).toMatchObject({
      type: "contact_activity",
      actor: { id: String(agent.userId) },
      data: { event_type: "conversation.status_changed", from: "open", to: "pending" },
    });
  });

  it("makes each notification once even if an event is dispatched again", async () => {
    const before = (await agentApi("GET", "/v1/notifications")).body.total;
    await mention(agent.userId);
    await server.core.events.dispatchAll();
    await server.db.execute(sql`UPDATE events SET dispatched_at = NULL WHERE account_id = ${admin.accountId}`);
    await server.core.events.dispatchAll();
    expect((await agentApi("GET", "/v1/notifications")).body.total).toBe(before + 1);
  });

  it("marks read by ids or all, and dismisses one or all; another user's ids are 404 and change nothing", async () => {
    await api("DELETE", "/v1/notifications");
    for (let i = 0; i < 3; i++) await mention(agent.userId);
    await mention(admin.userId, agentApi);
    await server.core.events.dispatchAll();
    const page = (await agentApi("GET", "/v1/notifications?limit=2")).body;
    expect(page.has_more).toBe(true);
    const [first, second] = page.data as Array<{ id: string }>;
    const adminsOwn = (await api("GET", "/v1/notifications")).body.data[0].id;

    const foreign = await agentApi("POST", "/v1/notifications/read", { ids: [first?.id, adminsOwn] });
    expect(foreign.status).toBe(404);
    expect((await agentApi("GET", "/v1/notifications")).body.data[0].read).toBe(false);
    expect((await api("GET", "/v1/notifications")).body.unread_count).toBe(1);

    expect((await agentApi("POST", "/v1/notifications/read", { ids: [first?.id] })).status).toBe(200);
    const afterOne = (await agentApi("GET", "/v1/notifications")).body;
    expect(afterOne.unread_count).toBe(afterOne.total - 1);
    await agentApi("POST", "/v1/notifications/read", {});
    expect((await agentApi("GET", "/v1/notifications")).body.unread_count).toBe(0);

    expect((await agentApi("DELETE", `/v1/notifications/${adminsOwn}`)).status).toBe(404);
    expect((await api("GET", "/v1/notifications")).body.total).toBe(1);
    const total = (await agentApi("GET", "/v1/notifications")).body.total;
    expect((await agentApi("DELETE", `/v1/notifications/${second?.id}`)).status).toBe(200);
    expect((await agentApi("GET", "/v1/notifications")).body.total).toBe(total - 1);
    expect((await agentApi("DELETE", `/v1/notifications/${second?.id}`)).status).toBe(404);
    const all = await agentApi("DELETE", "/v1/notifications");
    expect(all.body.count).toBe(total - 1);
    expect((await agentApi("GET", "/v1/notifications")).body).toMatchObject({ total: 0, unread_count: 0, data: [] });
    expect((await api("GET", "/v1/notifications")).body.total).toBe(1);
  });

  it("refuses malformed ids", async () => {
    expect((await agentApi("POST", "/v1/notifications/read", { ids: "all" })).status).toBe(422);
    expect((await agentApi("POST", "/v1/notifications/read", { ids: ["x"] })).status).toBe(404);
    expect((await agentApi("DELETE", "/v1/notifications/abc")).status).toBe(404);
  });
});
