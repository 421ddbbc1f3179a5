import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { type Credentials, type httpClient, newAccount, type TestServer, useServer } from "./harness.js";

describe("comments on a contact", () => {
  const fixture = useServer();
  let server: TestServer;
  let admin: Credentials;
  let agent: Credentials;
  let api: ReturnType<typeof httpClient>;
  let agentApi: ReturnType<typeof httpClient>;
  let contactId: string;

  beforeAll(async () => {
    ({ server, admin, api, agent, agentApi } = fixture);
    contactId = (await api("POST", "/v1/contacts", { name: "Noted" })).body.id;
  });

  it("creates, lists newest first, edits and deletes, in the seed's shape", async () => {
    const first = await api("POST", `/v1/contacts/${contactId}/comments`, { text: "  first note " });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object_name: "comment",
      _id: first.body.id,
      text: "first note",
      contact_id: contactId,
      author: { id: String(admin.userId), name: "Administrator" },
      mentions: [],
    });
    const second = (await agentApi("POST", `/v1/contacts/${contactId}/comments`, { text: "second" })).body;
    const list = (await api("GET", `/v1/contacts/${contactId}/comments?limit=1`)).body;
    expect(list.data.map((c: { _id: string }) => c._id)).toEqual([second.id]);
    expect(list.has_more).toBe(true);
    expect((await api("GET", `/v1/contacts/${contactId}/comments?limit=1&skip=1`)).body.data[0].id).toBe(first.body.id);

    const edited = await agentApi("PATCH", `/v1/contacts/${contactId}/comments/${second.id}`, {
      text: "second, edited",
    });
    expect(edited.body.text).toBe("second, edited");
    const deleted = await agentApi("DELETE", `/v1/contacts/${contactId}/comments/${second.id}`);
    expect(deleted.body).toEqual({ object_name: "comment", id: second.id, deleted: true });
    expect((await api("GET", `/v1/contacts/${contactId}/comments`)).body.data).toHaveLength(1);
  });

  it("lets only the author or an administrator change a comment", async () => {
    const byAdmin = (await api("POST", `/v1/contacts/${contactId}/comments`, { text: "admin's" })).body;
    const denied = await agentApi("PATCH", `/v1/contacts/${contactId}/comments/${byAdmin.id}`, { text: "mine now" });
    expect(denied.status).toBe(403);
    expect((await agentApi("DELETE", `/v1/contacts/${contactId}/comments/${byAdmin.id}`)).status).toBe(403);
    const byAgent = (await agentApi("POST", `/v1/contacts/${contactId}/comments`, { text: "agent's" })).body;
    expect((await api("PATCH", `/v1/contacts/${contactId}/comments/${byAgent.id}`, { text: "moderated" })).status).toBe(
      200,
    );
    expect((await api("DELETE", `/v1/contacts/${contactId}/comments/${byAgent.id}`)).status).toBe(200);
    const kept = (await api("GET", `/v1/contacts/${contactId}/comments`)).body.data;
    expect(kept.find((c: { id: string }) => c.id === byAdmin.id).text).toBe("admin's");
  });

  it("stores @mentions as structured mentions, from markup and from a list", async () => {
    const text = `Ask [@Agent](mention://user/${agent.userId}/Agent) about it`;
    const comment = (
      await api("POST", `/v1/contacts/${contactId}/comments`, { text, mentions: [String(admin.userId)] })
    ).body;
    expect(comment.mentions).toEqual(
      [
        { user_id: String(admin.userId), name: "Administrator" },
        { user_id: String(agent.userId), name: "Agent" },
      ].sort((a, b) => Number(a.user_id) - Number(b.user_id)),
    );
    const rows = await server.db.query<{ user_id: number }>(
      sql`SELECT user_id FROM comment_mentions WHERE comment_id = ${Number(comment.id)} ORDER BY user_id`,
    );
    expect(rows.map((r) => r.user_id)).toEqual([admin.userId, agent.userId].sort((a, b) => a - b));
    const edited = (await api("PATCH", `/v1/contacts/${contactId}/comments/${comment.id}`, { text: "no one now" }))
      .body;
    expect(edited.mentions).toEqual([]);

    const other = await newAccount(server.db);
    const foreign = await api("POST", `/v1/contacts/${contactId}/comments`, {
      text: `[@X](mention://user/${other.userId}/X)`,
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0]).toMatchObject({ field: "mentions", code: "unknown_user" });
  });

  it("records comments in the contact's history", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "History" })).body;
    const comment = (await api("POST", `/v1/contacts/${contact.id}/comments`, { text: "hello" })).body;
    await api("PATCH", `/v1/contacts/${contact.id}`, { name: "History 2", custom_attributes: { tier: "gold" } });
    await api("PUT", `/v1/contacts/${contact.id}/labels`, { labels: ["vip"] });
    await api("DELETE", `/v1/contacts/${contact.id}/comments/${comment.id}`);
    const history = (await api("GET", `/v1/contacts/${contact.id}/activities`)).body.data;
    expect(history.map((a: { action: string }) => a.action)).toEqual([
      "comment.deleted",
      "contact.labels_changed",
      "contact.updated",
      "comment.created",
      "contact.created",
    ]);
    expect(history[2].details.changes).toEqual({
      name: { from: "History", to: "History 2" },
      "custom_attributes.tier": { from: null, to: "gold" },
    });
    expect(history[1].details).toEqual({ added: ["vip"], removed: [] });
    expect(history[0].actor).toEqual({ id: String(admin.userId), name: "Administrator" });
  });

  it("refuses empty, huge or misaddressed comments", async () => {
    const path = `/v1/contacts/${contactId}/comments`;
    const before = (await api("GET", `${path}?limit=200`)).body.data.length;
    expect((await api("POST", path, { text: "   " })).status).toBe(422);
    expect((await api("POST", path, { text: "x".repeat(20_001) })).status).toBe(422);
    expect((await api("POST", path, { text: 5 })).status).toBe(422);
    expect((await api("POST", path, {})).status).toBe(422);
    expect((await api("POST", path, { text: "a\u0000b" })).status).toBe(422);
    expect((await api("POST", "/v1/contacts/999999/comments", { text: "hi" })).status).toBe(404);
    expect((await api("PATCH", `${path}/999999`, { text: "hi" })).status).toBe(404);
    expect((await api("GET", `${path}?limit=200`)).body.data.length).toBe(before);
    const otherContact = (await api("POST", "/v1/contacts", { name: "Other" })).body.id;
    const comment = (await api("POST", path, { text: "belongs here" })).body;
    expect((await api("PATCH", `/v1/contacts/${otherContact}/comments/${comment.id}`, { text: "moved?" })).status).toBe(
      404,
    );
  });
});
