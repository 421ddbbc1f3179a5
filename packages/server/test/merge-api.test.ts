import { describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, type httpClient, useServer } from "./harness.js";
import { IMAGES, upload } from "./upload-helpers.js";

/** POST /v1/contacts/merge: one transaction, the base kept, the mergee's id answering 410 afterwards. */
describe("merging contacts", () => {
  const fixture = useServer();
  type Api = ReturnType<typeof httpClient>;

  async function contact(api: Api, body: Record<string, unknown>): Promise<string> {
    const answer = await api("POST", "/v1/contacts", body);
    expect(answer.status).toBe(201);
    return answer.body.id;
  }

  /** Everything about a contact a merge may touch, read through the API. */
  async function snapshot(api: Api, id: string) {
    const read = async (path: string) => (await api("GET", path)).body;
    return {
      contact: await read(`/v1/contacts/${id}?include_contact_inboxes=true`),
      conversations: await read(`/v1/contacts/${id}/conversations`),
      comments: await read(`/v1/contacts/${id}/comments`),
      files: await read(`/v1/contacts/${id}/files`),
      history: await read(`/v1/contacts/${id}/activities?limit=100`),
      followers: await read(`/v1/contacts/${id}/followers`),
    };
  }

  it("moves everything to the base, fills its blanks, deep-merges attributes and retires the mergee's id", async () => {
    const { api, server, admin, agent } = fixture;
    const inbox = (await api("POST", "/v1/inboxes", { name: "Chat", channel_type: "web" })).body.id;
    const base = await contact(api, {
      name: "Ana Base",
      email: "ana@example.com",
      labels: ["vip"],
      custom_attributes: { plan: "pro", address: { city: "Hanoi" } },
    });
    const mergee = await contact(api, {
      name: "Ana Duplicate",
      email: "ana.other@example.com",
      phone_number: "+84 912 345 678",
      identifier: "crm-77",
      labels: ["lead", "vip"],
      custom_attributes: { plan: "free", seats: 3, address: { city: "Saigon", zip: "700000" } },
      inbox_id: inbox,
      source_id: "visitor-9",
    });
    await api("POST", "/v1/conversations", { contact_id: mergee, inbox_id: inbox });
    await api("POST", `/v1/contacts/${mergee}/comments`, { text: "Called about the duplicate" });
    await fixture.agentApi("PUT", `/v1/contacts/${mergee}/followers/me`);
    const file = await upload(`${server.url}/v1/contacts/${mergee}/files`, basicAuth(admin), { data: "invoice" });
    expect(file.status).toBe(201);
    const avatar = await upload(
      `${server.url}/v1/contacts/${mergee}/avatar`,
      basicAuth(admin),
      { data: IMAGES["image/png"], contentType: "image/png", filename: "a.png" },
      { method: "PUT" },
    );
    expect(avatar.status).toBe(200);
    const mergeeHistory = (await snapshot(api, mergee)).history.data.length;
    const baseHistory = (await snapshot(api, base)).history.data.length;

    const answer = await api("POST", "/v1/contacts/merge", { base_contact_id: base, mergee_contact_id: mergee });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      object_name: "contact_merge",
      dry_run: false,
      merged_contact_id: mergee,
      moved: { conversations: 1, contact_inboxes: 1, comments: 1, files: 1, labels: 1, followers: 2 },
    });
    const merged = answer.body.contact;
    expect(merged).toMatchObject({
      id: base,
      name: "Ana Base",
      email: "ana@example.com",
      phone_number: "+84912345678",
      identifier: "crm-77",
      custom_attributes: { plan: "pro", seats: 3, address: { city: "Hanoi", zip: "700000" } },
    });
    expect([...merged.labels].sort()).toEqual(["lead", "vip"]);
    expect(merged.avatar_url).toMatch(/\/avatars\//);
    expect((await fetch(merged.avatar_url)).status).toBe(200);

    const after = await snapshot(api, base);
    expect(after.contact.contact_inboxes.map((ci: any) => ci.source_id)).toEqual(["visitor-9"]);
    expect(after.conversations.data).toHaveLength(1);
    expect(after.comments.data.map((c: any) => c.text)).toEqual(["Called about the duplicate"]);
    expect(after.files.data).toHaveLength(1);
    expect(after.followers.data.map((f: any) => f.user.id).sort()).toEqual(
      [String(admin.userId), String(agent.userId)].sort(),
    );
    // The agent followed only the mergee, before the merge: the merge concerns them.
    await server.core.events.dispatchAll();
    const told = (await fixture.agentApi("GET", "/v1/notifications?limit=100")).body.data;
    expect(told.map((n: any) => [n.type, n.data.event_type])).toContainEqual(["contact_activity", "contact.merged"]);
    // The mergee's history, closed by where it went, now lives on the base, with the merge itself on top.
    const history = after.history.data;
    expect(history[0]).toMatchObject({ action: "contact.merged", details: { mergee_contact_id: mergee } });
    const closing = history.find((entry: any) => entry.action === "contact.merged_into");
    expect(closing).toMatchObject({ details: { base_contact_id: base, base: { name: "Ana Base" } } });
    expect(history).toHaveLength(baseHistory + mergeeHistory + 2);

    for (const path of [`/v1/contacts/${mergee}`, `/v1/contacts/${mergee}/comments`]) {
      const gone = await api("GET", path);
      expect(gone.status, path).toBe(410);
      expect(gone.body.error).toMatchObject({ code: "contact_merged", merged_into: base });
    }
    expect((await api("PATCH", `/v1/contacts/${mergee}`, { name: "x" })).status).toBe(410);
    const batch = await api("POST", "/v1/contacts/batch", {
      operations: [{ op: "update", id: mergee, data: { name: "x" } }],
    });
    expect(batch.body.results[0]).toMatchObject({ status: 410, error: { code: "contact_merged", merged_into: base } });

    const [event] = await server.db.query<{ data: any }>(sql`
      SELECT data FROM events WHERE account_id = ${admin.accountId} AND type = 'contact.merged' AND contact_id = ${Number(base)}`);
    expect(event?.data).toMatchObject({ mergee_contact_id: mergee, mergee: { email: "ana.other@example.com" } });
  });

  it("shows the result of a dry run and changes nothing", async () => {
    const { api, server, admin } = fixture;
    const base = await contact(api, { name: "Dry Base" });
    const mergee = await contact(api, { name: "Dry Mergee", email: "dry@example.com", labels: ["x"] });
    await api("POST", `/v1/contacts/${mergee}/comments`, { text: "kept where it is" });
    const before = [await snapshot(api, base), await snapshot(api, mergee)];
    const events = async () =>
      (await server.db.query(sql`SELECT id FROM events WHERE account_id = ${admin.accountId}`)).length;
    const eventsBefore = await events();

    const answer = await api("POST", "/v1/contacts/merge", {
      base_contact_id: base,
      mergee_contact_id: mergee,
      dry_run: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      dry_run: true,
      contact: { id: base, name: "Dry Base", email: "dry@example.com", labels: ["x"] },
      moved: { comments: 1, labels: 1 },
    });
    expect([await snapshot(api, base), await snapshot(api, mergee)]).toEqual(before);
    expect(await events()).toBe(eventsBefore);
  });

  it("refuses a contact with itself, unknown or foreign ids, and changes nothing", async () => {
    const { api, server } = fixture;
    const one = await contact(api, { name: "Alone" });
    const self = await api("POST", "/v1/contacts/merge", { base_contact_id: one, mergee_contact_id: one });
    expect(self.status).toBe(422);
    const { newAccount, httpClient } = await import("./harness.js");
    const other = await newAccount(server.db);
    const otherApi = httpClient(server.url, basicAuth(other));
    const foreign = await contact(otherApi, { name: "Someone else's" });
    for (const body of [
      { base_contact_id: one, mergee_contact_id: foreign },
      { base_contact_id: foreign, mergee_contact_id: one },
      { base_contact_id: one, mergee_contact_id: "999999999" },
    ]) {
      expect((await api("POST", "/v1/contacts/merge", body)).status).toBe(404);
    }
    expect((await otherApi("GET", `/v1/contacts/${foreign}`)).body.name).toBe("Someone else's");
    expect((await api("GET", `/v1/contacts/${one}`)).status).toBe(200);
    expect((await api("POST", "/v1/contacts/merge", { base_contact_id: one })).status).toBe(422);
  });

  it("lets agents merge until an administrator withdraws it", async () => {
    const { api, agentApi } = fixture;
    expect((await agentApi("GET", "/v1/account/settings")).body).toEqual({
      object_name: "account_settings",
      agents_can_merge: true,
    });
    const a = await contact(api, { name: "Agent merge A" });
    const b = await contact(api, { name: "Agent merge B" });
    expect((await agentApi("POST", "/v1/contacts/merge", { base_contact_id: a, mergee_contact_id: b })).status).toBe(
      200,
    );

    expect((await agentApi("PATCH", "/v1/account/settings", { agents_can_merge: true })).status).toBe(403);
    expect((await api("PATCH", "/v1/account/settings", { agents_can_merge: false })).body.agents_can_merge).toBe(false);
    const c = await contact(api, { name: "Agent merge C" });
    const refused = await agentApi("POST", "/v1/contacts/merge", { base_contact_id: a, mergee_contact_id: c });
    expect(refused.status).toBe(403);
    expect((await api("GET", `/v1/contacts/${c}`)).status).toBe(200);
    expect((await api("POST", "/v1/contacts/merge", { base_contact_id: a, mergee_contact_id: c })).status).toBe(200);
    await api("PATCH", "/v1/account/settings", { agents_can_merge: true });
  });

  it("points every merged-away id at the final survivor", async () => {
    const { api } = fixture;
    const [a, b, c] = [
      await contact(api, { name: "Chain A" }),
      await contact(api, { name: "Chain B" }),
      await contact(api, { name: "Chain C" }),
    ];
    await api("POST", "/v1/contacts/merge", { base_contact_id: b, mergee_contact_id: a });
    await api("POST", "/v1/contacts/merge", { base_contact_id: c, mergee_contact_id: b });
    for (const id of [a, b]) expect((await api("GET", `/v1/contacts/${id}`)).body.error.merged_into).toBe(c);
    await api("DELETE", `/v1/contacts/${c}`);
    expect((await api("GET", `/v1/contacts/${a}`)).status).toBe(404);
  });

  it("ends in one consistent contact when the same pair is merged both ways at once", async () => {
    const { api } = fixture;
    const x = await contact(api, { name: "Race X", email: "race-x@example.com" });
    const y = await contact(api, { name: "Race Y", email: "race-y@example.com" });
    const answers = await Promise.all([
      api("POST", "/v1/contacts/merge", { base_contact_id: x, mergee_contact_id: y }),
      api("POST", "/v1/contacts/merge", { base_contact_id: y, mergee_contact_id: x }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404]);
    const survivors = [(await api("GET", `/v1/contacts/${x}`)).status, (await api("GET", `/v1/contacts/${y}`)).status];
    expect(survivors.sort()).toEqual([200, 410]);
  });
});
