import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, newAgent, startServer, type TestServer } from "../../server/test/harness.js";
import {
  AuthenticationError,
  Contactd,
  NotFoundError,
  type Notification,
  type NotificationStream,
  Page,
} from "../src/index.js";
import { collect, rejection, within } from "./helpers.js";

/** Notifications through the SDK, against the real server: listing, marking read, dismissing, and the live stream. */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface Team {
  server: TestServer;
  admin: Contactd;
  adminCreds: Credentials;
  agent: Contactd;
  agentCreds: Credentials;
  contactId: string;
}

/** An account of its own with an administrator, an agent and a contact, so counts see only this test's records. */
async function newTeam(server: TestServer): Promise<Team> {
  const adminCreds = await newAccount(server.db);
  const agentCreds = await newAgent(server, adminCreds);
  const admin = new Contactd({ baseUrl: server.url, token: adminCreds.token });
  const contact = await admin.contacts.create({ name: "Followed up" });
  return {
    server,
    admin,
    adminCreds,
    agent: new Contactd({ baseUrl: server.url, apiKey: agentCreds.key, apiSecret: agentCreds.secret }),
    agentCreds,
    contactId: contact.id,
  };
}

/** The administrator mentions the agent in a comment; resolves to the comment's id. */
async function mentionAgent(team: Team): Promise<string> {
  const comment = await team.admin.contacts.comments.create(team.contactId, {
    text: "hi",
    mentions: [String(team.agentCreds.userId)],
  });
  return comment.id;
}

const commentOf = (notification: Notification) => notification.data.comment_id;

describe("notifications", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  /** Mentions the agent `count` times and projects the events into notifications. */
  async function mentioned(team: Team, count: number): Promise<string[]> {
    const comments: string[] = [];
    for (let i = 0; i < count; i++) comments.push(await mentionAgent(team));
    await server.core.events.dispatchAll();
    return comments;
  }

  it("lists the caller's notifications newest first, with total and unread_count on every page", async () => {
    const team = await newTeam(server);
    const [first, second, third] = await mentioned(team, 3);

    const page = await team.agent.contacts.listNotifications({ limit: 2 });
    expect(page).toBeInstanceOf(Page);
    expect(page.data.map(commentOf)).toEqual([third, second]);
    expect(page).toMatchObject({ has_more: true, total: 3, unread_count: 3 });
    const [newest] = page.data;
    expect(newest).toMatchObject({
      object_name: "notification",
      type: "mention",
      actor: { id: String(team.adminCreds.userId) },
      contact_id: team.contactId,
      conversation_id: null,
      read: false,
    });
    expect(newest?.id).toMatch(/^\d+$/);
    expect(newest?.event_id).toMatch(/^\d+$/);
    expect(newest?.created_at).toMatch(ISO);

    const next = await page.getNextPage();
    expect(next.data.map(commentOf)).toEqual([first]);
    expect(next).toMatchObject({ has_more: false, total: 3, unread_count: 3 });

    const all = await collect(team.agent.contacts.listNotifications({ limit: 2 }));
    expect(all.map(commentOf)).toEqual([third, second, first]);
    expect(await collect(team.agent.contacts.listNotifications({ skip: 1 }))).toEqual(all.slice(1));
    // One implementation under two names.
    expect((await team.agent.notifications.list()).data).toEqual(all);

    // Mentioning someone does not notify the one who did it.
    const own = await team.admin.contacts.listNotifications();
    expect(own).toMatchObject({ data: [], total: 0, unread_count: 0, has_more: false });
  });

  it("marks some notifications read by id, then all of them", async () => {
    const team = await newTeam(server);
    await mentioned(team, 3);
    const [newest, middle, oldest] = (await team.agent.contacts.listNotifications()).data;

    expect(await team.agent.contacts.markNotificationsRead([newest!.id, oldest!.id])).toEqual({
      object_name: "notifications.read",
      ok: true,
    });
    const afterSome = await team.agent.contacts.listNotifications();
    expect(afterSome.data.map((n) => [n.id, n.read])).toEqual([
      [newest!.id, true],
      [middle!.id, false],
      [oldest!.id, true],
    ]);
    expect(afterSome).toMatchObject({ total: 3, unread_count: 1 });

    await team.agent.contacts.markNotificationsRead();
    const afterAll = await team.agent.contacts.listNotifications();
    expect(afterAll).toMatchObject({ total: 3, unread_count: 0 });
    expect(afterAll.data.every((n) => n.read)).toBe(true);
  });

  it("refuses another user's notification with a NotFoundError and changes nothing", async () => {
    const team = await newTeam(server);
    await mentioned(team, 2);
    // The agent mentions the administrator on a contact of its own, so the administrator has one too.
    const elsewhere = await team.admin.contacts.create({ name: "Elsewhere" });
    await team.agent.contacts.comments.create(elsewhere.id, {
      text: "for you",
      mentions: [String(team.adminCreds.userId)],
    });
    await server.core.events.dispatchAll();
    const [adminsOwn] = (await team.admin.contacts.listNotifications()).data;
    const [agentsOwn] = (await team.agent.contacts.listNotifications()).data;

    const error = await rejection(team.agent.contacts.markNotificationsRead([agentsOwn!.id, adminsOwn!.id]));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.status).toBe(404);
    expect(await team.agent.contacts.listNotifications()).toMatchObject({ total: 2, unread_count: 2 });
    expect(await team.admin.contacts.listNotifications()).toMatchObject({ total: 1, unread_count: 1 });

    await expect(team.agent.contacts.dismissNotification(adminsOwn!.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await team.admin.contacts.listNotifications()).toMatchObject({ total: 1, unread_count: 1 });
  });

  it("dismisses one notification, then all", async () => {
    const team = await newTeam(server);
    await mentioned(team, 3);
    const [newest, middle, oldest] = (await team.agent.contacts.listNotifications()).data;

    expect(await team.agent.contacts.dismissNotification(middle!.id)).toEqual({
      object_name: "notification.dismissed",
      ok: true,
    });
    const left = await team.agent.contacts.listNotifications();
    expect(left.data.map((n) => n.id)).toEqual([newest!.id, oldest!.id]);
    expect(left).toMatchObject({ total: 2, unread_count: 2 });
    await expect(team.agent.contacts.dismissNotification(middle!.id)).rejects.toBeInstanceOf(NotFoundError);

    expect(await team.agent.contacts.dismissAllNotifications()).toEqual({
      object_name: "notifications.dismissed",
      ok: true,
      count: 2,
    });
    expect(await team.agent.contacts.listNotifications()).toMatchObject({
      data: [],
      total: 0,
      unread_count: 0,
      has_more: false,
    });
    expect((await team.agent.notifications.dismissAll()).count).toBe(0);
  });
});

describe("notification stream", () => {
  let server: TestServer;
  const streams: NotificationStream[] = [];

  beforeAll(async () => {
    // The background dispatcher turns events into notifications within a second, as in production.
    server = await startServer({ background: true });
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await server?.close();
  });

  function open(team: Team, lastEventId?: string): { stream: NotificationStream; next: () => Promise<Notification> } {
    const stream = team.agent.notifications.stream(lastEventId === undefined ? {} : { lastEventId });
    streams.push(stream);
    const iterator = stream[Symbol.asyncIterator]();
    return {
      stream,
      async next() {
        const result = await within(iterator.next(), 15_000);
        if (result.done) expect.fail("the stream ended");
        return result.value;
      },
    };
  }

  it("delivers new notifications live and in order, and resumes from lastEventId with nothing repeated", async () => {
    const team = await newTeam(server);
    const live = open(team);
    await within(live.stream.ready);
    const first = await mentionAgent(team);
    const second = await mentionAgent(team);
    const received = [await live.next(), await live.next()];
    expect(received.map(commentOf)).toEqual([first, second]);
    expect(received[0]).toMatchObject({ object_name: "notification", type: "mention", contact_id: team.contactId });
    expect(BigInt(received[1]!.id)).toBeGreaterThan(BigInt(received[0]!.id));
    expect(live.stream.lastEventId).toBe(received[1]!.id);
    live.stream.close();

    // Missed while no stream was open.
    const third = await mentionAgent(team);
    const fourth = await mentionAgent(team);
    const resumed = open(team, live.stream.lastEventId);
    const caughtUp = [await resumed.next(), await resumed.next()];
    expect(caughtUp.map(commentOf)).toEqual([third, fourth]);
    // Anything repeated would come before this one.
    const fifth = await mentionAgent(team);
    expect(commentOf(await resumed.next())).toBe(fifth);
    resumed.stream.close();

    // Without lastEventId a stream starts with what happens next, not with the past.
    const fresh = open(team);
    await within(fresh.stream.ready);
    const sixth = await mentionAgent(team);
    expect(commentOf(await fresh.next())).toBe(sixth);
    fresh.stream.close();

    const listed = await team.agent.contacts.listNotifications();
    expect(listed.total).toBe(6);
  });

  it("reconnects by itself when the server drops the connection, missing nothing and repeating nothing", async () => {
    const team = await newTeam(server);
    const live = open(team);
    await within(live.stream.ready);
    const before = await mentionAgent(team);
    const seen = [await live.next()];
    expect(seen.map(commentOf)).toEqual([before]);

    server.app.server.closeAllConnections();
    const during = await mentionAgent(team);
    seen.push(await live.next());
    const after = await mentionAgent(team);
    seen.push(await live.next());

    expect(seen.map(commentOf)).toEqual([before, during, after]);
    const ids = seen.map((n) => BigInt(n.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    live.stream.close();
  }, 30_000);

  it("ends a for-await loop on break, and rejects bad credentials with AuthenticationError", async () => {
    const team = await newTeam(server);
    const stream = team.agent.notifications.stream();
    streams.push(stream);
    await within(stream.ready);
    const comment = await mentionAgent(team);
    for await (const notification of stream) {
      expect(commentOf(notification)).toBe(comment);
      break;
    }
    expect(stream.lastEventId).toMatch(/^\d+$/);

    const stranger = new Contactd({ baseUrl: server.url, token: "ck_nobody.wrong", maxRetries: 0 });
    const denied = stranger.notifications.stream();
    await expect(denied.ready).rejects.toBeInstanceOf(AuthenticationError);
    await expect(collect(denied)).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("following contacts", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("tells followers what others do to the contact, from when they followed", async () => {
    const team = await newTeam(server);
    await team.admin.contacts.update(team.contactId, { name: "Before following" });
    const followers = await team.agent.contacts.follow(team.contactId);
    expect(followers.data.map((f) => [f.user.id, f.user.name])).toEqual([[String(team.agentCreds.userId), "Agent"]]);
    expect(followers.data[0]?.since).toMatch(ISO);

    await team.admin.contacts.update(team.contactId, { email: "followed@example.com" });
    await team.agent.contacts.update(team.contactId, { name: "Agent's own edit" });
    await server.core.events.dispatchAll();
    const notified = (await team.agent.contacts.listNotifications()).data;
    expect(notified.map((n) => [n.type, n.data])).toEqual([
      ["contact_activity", { event_type: "contact.updated", changed_fields: ["email"] }],
    ]);

    // An agent may not sign others up; an administrator may.
    const refused = await rejection(team.agent.contacts.follow(team.contactId, String(team.adminCreds.userId)));
    expect(refused.status).toBe(403);
    const both = await team.admin.contacts.follow(team.contactId, String(team.adminCreds.userId));
    expect(both.total).toBe(2);

    expect((await team.agent.contacts.unfollow(team.contactId)).total).toBe(1);
    await team.admin.contacts.update(team.contactId, { email: "unfollowed@example.com" });
    await server.core.events.dispatchAll();
    expect((await team.agent.contacts.listNotifications()).total).toBe(1);
    expect((await rejection(team.agent.contacts.listFollowers("999999999"))).status).toBe(404);
  });
});
