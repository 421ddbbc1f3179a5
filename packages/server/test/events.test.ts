import { beforeAll, describe, expect, it } from "vitest";
import type { Database, Queryable } from "../src/store/database.js";
import { claimUndispatchedEvents, type EventRow, hasUndispatchedEvents, listEvents } from "../src/store/events.js";
import { migrate } from "../src/store/migrate.js";
import { openPostgres } from "../src/store/postgres.js";
import {
  backend,
  basicAuth,
  type Credentials,
  freshDatabase,
  httpClient,
  newAccount,
  newAgent,
  startServer,
  type TestServer,
  useServer,
} from "./harness.js";
import { IMAGES, upload } from "./upload-helpers.js";

describe("the event outbox", () => {
  const fixture = useServer();
  let server: TestServer;
  let admin: Credentials;
  let api: ReturnType<typeof httpClient>;
  beforeAll(() => {
    ({ server, admin, api } = fixture);
  });

  const eventsOf = async (contactId: string): Promise<EventRow[]> =>
    listEvents(server.db, admin.accountId, { contactId: Number(contactId), limit: 100 });

  it("writes one event per change, in order, with actor, subject and what changed", async () => {
    const agent = await newAgent(server, admin);
    const inbox = (await api("POST", "/v1/inboxes", { name: "Web", channel_type: "web" })).body.id;
    const contact = (await api("POST", "/v1/contacts", { name: "Evented", labels: ["a"] })).body;
    await api("PATCH", `/v1/contacts/${contact.id}`, { email: "evented@example.com" });
    await api("POST", `/v1/contacts/${contact.id}/labels`, { labels: ["b"] });
    const conversation = (await api("POST", "/v1/conversations", { contact_id: contact.id, inbox_id: inbox })).body;
    await api("PATCH", `/v1/conversations/${conversation.id}`, {
      assignee_id: String(agent.userId),
      status: "pending",
    });
    await api("POST", `/v1/contacts/${contact.id}/comments`, {
      text: `for [@Agent](mention://user/${agent.userId}/Agent)`,
    });
    const file = await upload(`${server.url}/v1/contacts/${contact.id}/files`, basicAuth(admin), { data: "notes" });
    expect(file.status).toBe(201);
    const avatar = await upload(
      `${server.url}/v1/contacts/${contact.id}/avatar`,
      basicAuth(admin),
      { data: IMAGES["image/png"], contentType: "image/png", filename: "a.png" },
      { method: "PUT" },
    );
    expect(avatar.status).toBe(200);
    await api("DELETE", `/v1/contacts/${contact.id}`);

    const all = await eventsOf(contact.id);
    // Conversation activity moves the contact's last_activity_at: system-only updates, set apart.
    const system = all.filter((e) => e.data.system === true);
    expect(system.map((e) => [e.type, Object.keys(e.data.changes as object)])).toEqual([
      ["contact.updated", ["last_activity_at"]],
      ["contact.updated", ["last_activity_at"]],
    ]);
    const events = all.filter((e) => e.data.system !== true);
    expect(events.map((e) => e.type)).toEqual([
      "contact.created",
      "contact.updated",
      "contact.labels_changed",
      "conversation.created",
      "conversation.status_changed",
      "conversation.assigned",
      "comment.created",
      "comment.mentioned",
      "file.added",
      "avatar.changed",
      "contact.deleted",
    ]);
    expect(events.every((e) => e.actor_id === admin.userId && e.account_id === admin.accountId)).toBe(true);
    expect(events[1]?.data).toEqual({ changes: { email: { from: null, to: "evented@example.com" } } });
    expect(events[4]).toMatchObject({
      conversation_id: Number(conversation.id),
      data: { from: "open", to: "pending" },
    });
    expect(events[7]?.data).toMatchObject({ user_ids: [String(agent.userId)] });
    expect(events[8]?.data).toMatchObject({ file_id: file.body.id });
    expect(events[10]?.data).toMatchObject({ name: "Evented", email: "evented@example.com" });
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("emits nothing for a change that rolled back", async () => {
    await api("POST", "/v1/contacts", { email: "held@example.com" });
    const contact = (await api("POST", "/v1/contacts", { name: "Quiet", email: "quiet@example.com" })).body;
    const before = await eventsOf(contact.id);
    expect((await api("PATCH", `/v1/contacts/${contact.id}`, { email: "held@example.com" })).status).toBe(409);
    expect((await api("PATCH", `/v1/contacts/${contact.id}`, { email: "not-an-email" })).status).toBe(422);
    expect(await eventsOf(contact.id)).toEqual(before);

    // A create whose second step fails inside the transaction (source id taken) leaves no event.
    const inbox = (await api("POST", "/v1/inboxes", { name: "API", channel_type: "api" })).body.id;
    await api("POST", "/v1/contacts", { name: "First", inbox_id: inbox, source_id: "dup" });
    const all = async () => listEvents(server.db, admin.accountId, { limit: 1000 });
    const count = (await all()).length;
    const clash = await api("POST", "/v1/contacts", { name: "Ghost", inbox_id: inbox, source_id: "dup" });
    expect(clash.status).toBe(409);
    expect((await all()).length).toBe(count);
  });

  it("hands each undispatched event to one dispatcher", async () => {
    const other = await newAccount(server.db);
    const otherApi = httpClient(server.url, basicAuth(other));
    for (let i = 0; i < 4; i++) await otherApi("POST", "/v1/contacts", { name: `Claim ${i}` });
    const handled = await server.core.events.dispatchAll();
    expect(handled).toBeGreaterThanOrEqual(4);
    // Other test files may be writing events meanwhile: look only at this account's.
    const mine = await listEvents(server.db, other.accountId, { limit: 100 });
    expect(mine).toHaveLength(4);
    expect(mine.every((e) => e.dispatched_at !== null)).toBe(true);
  });

  it("looks for due events without a transaction, and opens one only when some wait", async () => {
    // A database of its own: on the shared one, other test files write events at any moment.
    const fresh = await freshDatabase();
    const db = await fresh.open();
    await migrate(db);
    let transactions = 0;
    const counted: Database = Object.assign(Object.create(db) as Database, {
      transaction: <T>(work: (tx: Queryable) => Promise<T>) => {
        transactions++;
        return db.transaction(work);
      },
    });
    const own = await startServer({ db: counted });
    try {
      const account = await newAccount(db);
      await httpClient(own.url, basicAuth(account))("POST", "/v1/contacts", { name: "Due" });
      expect(await hasUndispatchedEvents(db)).toBe(true);
      const before = transactions;
      expect(await own.core.events.dispatchAll()).toBeGreaterThanOrEqual(1);
      expect(transactions).toBeGreaterThan(before);
      expect(await hasUndispatchedEvents(db)).toBe(false);
      const idle = transactions;
      expect(await own.core.events.dispatchAll()).toBe(0);
      expect(transactions).toBe(idle);
    } finally {
      await own.close();
      await db.close();
      await fresh.drop();
    }
  });

  it.runIf(backend === "postgres")("lets concurrent dispatchers claim disjoint events (SKIP LOCKED)", async () => {
    // A database of its own: on the shared one, other test files dispatch events at any moment.
    const fresh = await freshDatabase();
    const db = await fresh.open();
    await migrate(db);
    const own = await startServer({ db });
    const second = openPostgres(fresh.url as string, 1);
    try {
      const other = await newAccount(db);
      const otherApi = httpClient(own.url, basicAuth(other));
      for (let i = 0; i < 6; i++) await otherApi("POST", "/v1/contacts", { name: `Race ${i}` });
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstClaim: EventRow[] = [];
      const first = db.transaction(async (tx) => {
        firstClaim = await claimUndispatchedEvents(tx, 3);
        await held;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const secondClaim = await second.transaction((tx) => claimUndispatchedEvents(tx, 100));
      release();
      await first;
      const a = new Set(firstClaim.map((e) => e.id));
      expect(firstClaim).toHaveLength(3);
      expect(secondClaim.length).toBeGreaterThanOrEqual(3);
      expect(secondClaim.some((e) => a.has(e.id))).toBe(false);
    } finally {
      await second.close();
      await own.close();
      await db.close();
      await fresh.drop();
    }
  });
});
