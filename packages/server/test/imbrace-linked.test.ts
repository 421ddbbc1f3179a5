import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAccount, type TestServer, useServer } from "./harness.js";
import { IMAGES, MULTIPART, multipartBody, upload } from "./upload-helpers.js";

/**
 * What the SDK reads around a contact (conversations, comments, files, a conversation's
 * activities), its image upload and the caller's notifications, sent as `@imbrace/sdk` sends them.
 */

const MAX_AVATAR = 4096;
const fixture = useServer({ maxAvatarBytes: MAX_AVATAR });
let server: TestServer;
let admin: Credentials;
let api: ReturnType<typeof httpClient>;
let sdk: ReturnType<typeof sdkClient>;
let contactId: string;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const face = () => `${server.url}/channel-service/v1`;

function sdkClient(token: string) {
  const raw = httpClient(fixture.server.url);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    raw(method, `/channel-service/v1${path}`, body, { "x-api-key": token, ...headers });
}

beforeAll(async () => {
  ({ server, admin, api } = fixture);
  sdk = sdkClient(admin.token);
  contactId = (await api("POST", "/v1/contacts", { name: "Linked" })).body.id;
});

describe("getConversations", () => {
  const conversation: Record<string, string> = {};

  beforeAll(async () => {
    for (const type of ["web", "whatsapp", "email"]) {
      const inbox = (await api("POST", "/v1/inboxes", { name: type, channel_type: type })).body.id;
      const created = await api("POST", "/v1/conversations", { contact_id: contactId, inbox_id: inbox });
      expect(created.status).toBe(201);
      conversation[type] = created.body.id;
    }
  });

  const channelsOf = (body: { data: Array<{ channel_type: string }> }) => body.data.map((c) => c.channel_type).sort();

  it("lists a contact's conversations in the envelope, with iMBRACE's short channel names", async () => {
    const all = await sdk("GET", `/contacts/${contactId}/conversations`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ object_name: "list", has_more: false, count: 3, total: 3 });
    expect(channelsOf(all.body)).toEqual(["email", "web", "whatsapp"]);
    const web = all.body.data.find((c: { channel_type: string }) => c.channel_type === "web");
    expect(web).toMatchObject({
      _id: conversation.web,
      id: conversation.web,
      contact_id: contactId,
      organization_id: String(admin.accountId),
      status: "open",
      inbox: { channel_type: "Channel::WebWidget" },
    });
    expect(web.created_at).toMatch(ISO);
    const page = await sdk("GET", `/contacts/${contactId}/conversations?limit=2`);
    expect(page.body).toMatchObject({ has_more: true, count: 3, total: 2 });
  });

  it("filters by channel_types as the SDK sends them (a comma list) and as the service documents (repeated)", async () => {
    const comma = await sdk("GET", `/contacts/${contactId}/conversations?channel_types=whatsapp,web`);
    expect(comma.status).toBe(200);
    expect(channelsOf(comma.body)).toEqual(["web", "whatsapp"]);
    expect(comma.body.count).toBe(2);
    const repeated = await sdk("GET", `/contacts/${contactId}/conversations?channel_types=web&channel_types=email`);
    expect(channelsOf(repeated.body)).toEqual(["email", "web"]);
    const documented = await sdk(
      "GET",
      `/contacts/${contactId}/conversations?channel_types=web&channel_types=whatsapp&channel_types=facebook&channel_types=email&channel_types=wechat&channel_types=instagram&channel_types=line`,
    );
    expect(documented.status).toBe(200);
    expect(documented.body.count).toBe(3);
    const wechatOnly = await sdk("GET", `/contacts/${contactId}/conversations?channel_types=wechat`);
    expect(wechatOnly.body).toMatchObject({ data: [], count: 0, total: 0, has_more: false });
  });

  it("answers an unknown channel with 400 naming it, and another account's contact with 404", async () => {
    const unknown = await sdk("GET", `/contacts/${contactId}/conversations?channel_types=web,pigeon`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "invalid_channel_type", message: expect.stringContaining("pigeon") });
    const stranger = sdkClient((await newAccount(server.db)).token);
    expect((await stranger("GET", `/contacts/${contactId}/conversations`)).status).toBe(404);
    expect((await stranger("GET", `/contacts/${contactId}/conversations?channel_types=wechat`)).status).toBe(404);
  });

  it("gives a conversation's activity log by its id (getActivities)", async () => {
    await api("PATCH", `/v1/conversations/${conversation.web}`, { status: "resolved" });
    const answer = await sdk("GET", `/conversations_activities/${conversation.web}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object_name: "list", has_more: false, count: 2, total: 2 });
    expect(answer.body.data.map((a: { type: string }) => a.type)).toEqual([
      "conversation.status_changed",
      "conversation.created",
    ]);
    const [changed] = answer.body.data;
    expect(changed).toMatchObject({ _id: changed.id, conversation_id: conversation.web, contact_id: contactId });
    expect(changed._id).toMatch(/^\d+$/);
    expect(changed.created_at).toMatch(ISO);
    const page = await sdk("GET", `/conversations_activities/${conversation.web}?limit=1`);
    expect(page.body).toMatchObject({ has_more: true, count: 2, total: 1 });
    for (const id of ["999999999", "conv_31b75006-beac-49af-b3b3-b8591d3438e6"]) {
      const missing = await sdk("GET", `/conversations_activities/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe("conversation_not_found");
    }
    const stranger = sdkClient((await newAccount(server.db)).token);
    expect((await stranger("GET", `/conversations_activities/${conversation.web}`)).status).toBe(404);
  });
});

describe("getComments", () => {
  it("pages a contact's comments newest first, ignoring channel_types", async () => {
    const texts = ["first", "second", "third"];
    for (const text of texts) await api("POST", `/v1/contacts/${contactId}/comments`, { text });
    const answer = await sdk("GET", `/contacts/${contactId}/comments?channel_types=web&skip=0&limit=2`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object_name: "list", has_more: true, count: 3, total: 2 });
    expect(answer.body.data.map((c: { text: string }) => c.text)).toEqual(["third", "second"]);
    const [third] = answer.body.data;
    expect(third._id).toMatch(/^\d+$/);
    expect(third).toMatchObject({ object_name: "comment", id: third._id, author: { id: String(admin.userId) } });
    expect(third.created_at).toMatch(ISO);
    const rest = await sdk("GET", `/contacts/${contactId}/comments?skip=2&limit=2`);
    expect(rest.body).toMatchObject({ has_more: false, count: 3, total: 1 });
    const stranger = sdkClient((await newAccount(server.db)).token);
    expect((await stranger("GET", `/contacts/${contactId}/comments`)).status).toBe(404);
  });
});

describe("getFiles", () => {
  it("answers a bare array of {_id, name, url, size}; the url downloads with the same key", async () => {
    const uploaded: string[] = [];
    for (const [name, data] of [
      ["contract.txt", "signed on the dotted line"],
      ["notes.txt", "call back on Monday"],
    ]) {
      const answer = await upload(`${server.url}/v1/contacts/${contactId}/files`, basicAuth(admin), {
        data,
        filename: name,
      });
      expect(answer.status).toBe(201);
      uploaded.push(answer.body.id);
    }
    const answer = await sdk("GET", `/contact/${contactId}/files`);
    expect(answer.status).toBe(200);
    expect(Array.isArray(answer.body)).toBe(true);
    expect(answer.body.map((f: { _id: string }) => f._id)).toEqual([...uploaded].reverse());
    const [notes] = answer.body;
    expect(notes).toMatchObject({
      _id: uploaded[1],
      name: "notes.txt",
      size: Buffer.byteLength("call back on Monday"),
      url: `${face()}/contact/${contactId}/files/${uploaded[1]}/download`,
    });
    expect(notes.created_at).toMatch(ISO);

    const download = await fetch(notes.url, { headers: { "x-api-key": admin.token } });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("call back on Monday");
    expect((await fetch(notes.url)).status).toBe(401);
    expect((await sdk("GET", `/contact/${contactId}/files?limit=1&skip=1`)).body.map((f: any) => f._id)).toEqual([
      uploaded[0],
    ]);
  });

  it("keeps another account out of a contact's files", async () => {
    const stranger = await newAccount(server.db);
    expect((await sdkClient(stranger.token)("GET", `/contact/${contactId}/files`)).status).toBe(404);
    const files = (await sdk("GET", `/contact/${contactId}/files`)).body;
    const download = await fetch(files[0].url, { headers: { "x-api-key": stranger.token } });
    expect(download.status).toBe(404);
  });
});

describe("uploadAvatar", () => {
  const uploadUrl = () => `${face()}/contacts/_fileupload`;

  it("takes the SDK's FormData with a file part and answers 200 with a public URL", async () => {
    const form = new FormData();
    form.append("file", new Blob([IMAGES["image/png"]], { type: "image/png" }), "avatar.png");
    const response = await fetch(uploadUrl(), { method: "POST", headers: { "x-api-key": admin.token }, body: form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { url: string };
    expect(body).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/avatars\/[\w-]+$/) });
    const image = await fetch(body.url);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).equals(IMAGES["image/png"])).toBe(true);

    const updated = await sdk("PUT", `/contacts/${contactId}`, { avatar_url: body.url });
    expect(updated.status).toBe(200);
    expect(updated.body.avatar_url).toBe(body.url);
  });

  it("refuses what is not an image, a missing part, other media types and anonymous callers", async () => {
    const text = await upload(
      uploadUrl(),
      undefined,
      { data: "plain text" },
      { headers: { "x-api-key": admin.token } },
    );
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ message: expect.any(String), request_id: expect.any(String) });
    const wrongPart = await upload(
      uploadUrl(),
      undefined,
      { data: IMAGES["image/gif"], field: "avatar" },
      { headers: { "x-api-key": admin.token } },
    );
    expect(wrongPart.status).toBe(422);
    expect(wrongPart.body.details).toEqual([expect.objectContaining({ field: "file" })]);
    expect((await sdk("POST", "/contacts/_fileupload", { file: "x" })).status).toBe(415);
    const oversized = Buffer.concat([IMAGES["image/png"], Buffer.alloc(MAX_AVATAR)]);
    const tooLarge = await upload(
      uploadUrl(),
      undefined,
      { data: oversized, filename: "big.png", contentType: "image/png" },
      { headers: { "x-api-key": admin.token } },
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe("payload_too_large");
    const anonymous = await fetch(uploadUrl(), {
      method: "POST",
      headers: { "content-type": MULTIPART },
      body: multipartBody([{ name: "file", filename: "a.png", data: IMAGES["image/png"] }]),
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("notifications", () => {
  let agent: Credentials;
  let agentSdk: ReturnType<typeof sdkClient>;

  beforeAll(async () => {
    agent = fixture.agent;
    agentSdk = sdkClient(agent.token);
    // What earlier tests did is told now, before the agent follows the contact.
    await server.core.events.dispatchAll();
  });

  /** `count` new mentions of the agent by the administrator, and one of the administrator by the agent. */
  async function notify(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await api("POST", `/v1/contacts/${contactId}/comments`, { text: `ping [@A](mention://user/${agent.userId}/A)` });
    }
    await fixture.agentApi("POST", `/v1/contacts/${contactId}/comments`, {
      text: `pong [@B](mention://user/${admin.userId}/B)`,
    });
    await server.core.events.dispatchAll();
  }

  async function reset(): Promise<void> {
    await agentSdk("DELETE", "/notifications/dismiss/all");
    await sdk("DELETE", "/notifications/dismiss/all");
  }

  const mine = async () => (await agentSdk("GET", "/notifications")).body;
  const adminsId = async () => (await sdk("GET", "/notifications")).body.data[0].id as string;

  it("lists the caller's notifications with count, total, unread_count and string ids", async () => {
    await reset();
    await notify(3);
    const page = await agentSdk("GET", "/notifications?limit=2&skip=0");
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ object_name: "list", has_more: true, count: 3, total: 2, unread_count: 3 });
    const [newest] = page.body.data;
    expect(newest).toMatchObject({
      object_name: "notification",
      type: "mention",
      is_read: false,
      recipient: String(agent.userId),
      from: "Administrator",
      contact_id: contactId,
    });
    expect(newest.id).toMatch(/^\d+$/);
    expect(newest.created_at).toMatch(ISO);
    expect((await agentSdk("GET", "/notifications?limit=0")).status).toBe(422);
  });

  it("marks read with {notification_id: [...]}, a bare array, or nothing (all of them)", async () => {
    await reset();
    await notify(3);
    const [a, b, c] = (await mine()).data.map((n: { id: string }) => n.id);
    const sdkStyle = await agentSdk("PUT", "/notifications/read", { notification_id: [a] });
    expect(sdkStyle.status).toBe(200);
    expect(sdkStyle.body).toMatchObject({ success: true });
    expect((await mine()).unread_count).toBe(2);
    expect((await agentSdk("PUT", "/notifications/read", [b])).status).toBe(200);
    const afterArray = await mine();
    expect(afterArray.unread_count).toBe(1);
    expect(afterArray.data.find((n: { id: string }) => n.id === c).is_read).toBe(false);
    expect(
      (await agentSdk("PUT", "/notifications/read", undefined, { "content-type": "application/json" })).status,
    ).toBe(200);
    expect((await mine()).unread_count).toBe(0);

    await notify(1);
    const python = await fetch(`${face()}/notifications/read`, {
      method: "PUT",
      headers: { "x-api-key": agent.token },
    });
    expect(python.status).toBe(200);
    expect((await mine()).unread_count).toBe(0);
  });

  it("changes nothing when any id is another user's, or not a notification id at all", async () => {
    await reset();
    await notify(2);
    const [a] = (await mine()).data.map((n: { id: string }) => n.id);
    const foreign = await adminsId();
    for (const body of [
      { notification_id: [a, foreign] },
      [a, foreign],
      ["not_0b5ea835-177d-456c-b2b3-e7e9a838efe6"],
    ]) {
      const read = await agentSdk("PUT", "/notifications/read", body);
      expect(read.status, JSON.stringify(body)).toBe(404);
      expect(read.body.code).toBe("notification_not_found");
      const dismissed = await agentSdk("DELETE", "/notifications/dismiss", body);
      expect(dismissed.status, JSON.stringify(body)).toBe(404);
    }
    expect(await mine()).toMatchObject({ count: 2, unread_count: 2 });
    expect((await sdk("GET", "/notifications")).body).toMatchObject({ count: 1, unread_count: 1 });
    expect((await agentSdk("PUT", "/notifications/read", { ids: [a] })).status).toBe(422);
    expect((await agentSdk("PUT", "/notifications/read", { notification_id: { id: a } })).status).toBe(422);
    expect((await mine()).unread_count).toBe(2);
  });

  it("dismisses one ({notification_id: id}), several (an array either way) or all", async () => {
    await reset();
    await notify(5);
    const ids = (await mine()).data.map((n: { id: string }) => n.id);
    const one = await agentSdk("DELETE", "/notifications/dismiss", { notification_id: ids[0] });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ success: true });
    expect((await agentSdk("DELETE", "/notifications/dismiss", { notification_id: [ids[1], ids[2]] })).status).toBe(
      200,
    );
    expect((await agentSdk("DELETE", "/notifications/dismiss", [ids[3]])).status).toBe(200);
    const left = await mine();
    expect(left.data.map((n: { id: string }) => n.id)).toEqual([ids[4]]);
    expect((await agentSdk("DELETE", "/notifications/dismiss", [ids[3]])).status).toBe(404);

    const empty = await agentSdk("DELETE", "/notifications/dismiss", undefined, { "content-type": "application/json" });
    expect(empty.status).toBe(422);
    expect(empty.body.details).toEqual([expect.objectContaining({ field: "notification_id" })]);
    expect((await mine()).count).toBe(1);

    const all = await agentSdk("DELETE", "/notifications/dismiss/all?type=conversations");
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ success: true, count: 1 });
    expect(await mine()).toMatchObject({ data: [], count: 0, total: 0, unread_count: 0, has_more: false });
    expect((await sdk("GET", "/notifications")).body.count).toBe(1);
  });
});
