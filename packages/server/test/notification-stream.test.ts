import { describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { backend, basicAuth, useServer } from "./harness.js";
import { openSse } from "./sse-reader.js";

/** GET /v1/notifications/stream: live, per user, resumable with Last-Event-ID. */
describe("the live notification stream", () => {
  const fixture = useServer({ background: true });
  const streamUrl = () => `${fixture.server.url}/v1/notifications/stream`;

  async function mentionAgent(contactId: string, text: string) {
    const { api, agent } = fixture;
    const answer = await api("POST", `/v1/contacts/${contactId}/comments`, {
      text: `${text} [@Agent](mention://user/${agent.userId}/Agent)`,
    });
    expect(answer.status).toBe(201);
  }

  it("needs credentials", async () => {
    expect((await fetch(streamUrl())).status).toBe(401);
    const wrong = await fetch(streamUrl(), { headers: { authorization: "Bearer ck_nope.nope" } });
    expect(wrong.status).toBe(401);
  });

  it("sends the user's new notifications as they happen, and resumes after Last-Event-ID without loss or repeat", async () => {
    const { api, agent } = fixture;
    const contact = (await api("POST", "/v1/contacts", { name: "Streamed" })).body.id;
    await mentionAgent(contact, "before the stream");
    await fixture.server.background?.settled();

    const first = await openSse(streamUrl(), { authorization: basicAuth(agent) });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await first.waitFor((events) => events.some((e) => e.event === "ready"));
    await mentionAgent(contact, "one");
    await mentionAgent(contact, "two");
    await first.waitFor(() => first.notifications().length === 2);
    await first.close();
    const seen = first.events.filter((e) => e.event === "notification");
    expect(seen.map((e) => e.id)).toEqual(first.notifications().map((n) => n.id));
    expect(first.notifications().map((n) => n.type)).toEqual(["mention", "mention"]);
    expect(Number(seen[1]?.id)).toBeGreaterThan(Number(seen[0]?.id));

    // Missed while disconnected: three more, one of them dismissed before reconnecting.
    await mentionAgent(contact, "three");
    await mentionAgent(contact, "four");
    await mentionAgent(contact, "five");
    await fixture.server.background?.settled();
    const missed = (await fixture.agentApi("GET", "/v1/notifications?limit=3")).body.data;
    await fixture.agentApi("DELETE", `/v1/notifications/${missed[1].id}`);

    const resumed = await openSse(streamUrl(), {
      authorization: basicAuth(agent),
      "last-event-id": String(seen[1]?.id),
    });
    await resumed.waitFor(() => resumed.notifications().length === 2);
    await mentionAgent(contact, "six");
    await resumed.waitFor(() => resumed.notifications().length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await resumed.close();
    const ids = resumed.notifications().map((n) => n.id);
    expect(ids.slice(0, 2)).toEqual([missed[2].id, missed[0].id]);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => Number(id) > Number(seen[1]?.id))).toBe(true);
  });

  it("accepts last_event_id as a query parameter and refuses a malformed one", async () => {
    const { agent } = fixture;
    const bad = await fetch(`${streamUrl()}?last_event_id=abc`, { headers: { authorization: basicAuth(agent) } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBeDefined();
    const badHeader = await fetch(streamUrl(), { headers: { authorization: basicAuth(agent), "last-event-id": "-1" } });
    expect(badHeader.status).toBe(422);
    const fromStart = await openSse(`${streamUrl()}?last_event_id=0`, { authorization: basicAuth(agent) });
    await fromStart.waitFor((events) => events.some((e) => e.event === "ready"));
    await fromStart.waitFor(() => fromStart.notifications().length > 0);
    await fromStart.close();
  });

  it("carries only the caller's own notifications", async () => {
    const { api, admin, agent } = fixture;
    const adminStream = await openSse(streamUrl(), { authorization: basicAuth(admin) });
    const agentStream = await openSse(streamUrl(), { authorization: basicAuth(agent) });
    await adminStream.waitFor((events) => events.some((e) => e.event === "ready"));
    await agentStream.waitFor((events) => events.some((e) => e.event === "ready"));
    const contact = (await api("POST", "/v1/contacts", { name: "Private" })).body.id;
    await mentionAgent(contact, "only for the agent");
    await agentStream.waitFor(() => agentStream.notifications().length === 1);
    await fixture.server.background?.settled();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(adminStream.notifications()).toEqual([]);
    await adminStream.close();
    await agentStream.close();
  });

  it.skipIf(backend !== "postgres")("recovers when the listening database connection is cut", async () => {
    const { api, agent, server } = fixture;
    const stream = await openSse(streamUrl(), { authorization: basicAuth(agent) });
    await stream.waitFor((events) => events.some((e) => e.event === "ready"));
    const contact = (await api("POST", "/v1/contacts", { name: "Cut off" })).body.id;
    const cut = await server.db.query<{ cut: boolean }>(sql`
      SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    expect(cut.length).toBeGreaterThan(0);
    // Made while no process listens: found when the listener is back and every stream catches up.
    await mentionAgent(contact, "while cut off");
    await stream.waitFor(() => stream.notifications().length === 1, 15_000);
    await mentionAgent(contact, "after");
    await stream.waitFor(() => stream.notifications().length === 2, 15_000);
    await stream.close();
  });

  it("ends open streams when the server shuts down", async () => {
    const { startServer, newAccount } = await import("./harness.js");
    const server = await startServer();
    const admin = await newAccount(server.db);
    const stream = await openSse(`${server.url}/v1/notifications/stream`, { authorization: basicAuth(admin) });
    await stream.waitFor((events) => events.some((e) => e.event === "ready"));
    await server.close();
    const deadline = Date.now() + 5000;
    while (!stream.ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.ended).toBe(true);
  });
});
