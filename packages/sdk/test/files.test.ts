import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../server/src/store/sql.js";
import { type Credentials, newAccount, newAgent, startServer, type TestServer } from "../../server/test/harness.js";
import { IMAGES } from "../../server/test/upload-helpers.js";
import {
  APIError,
  Contactd,
  ContactdError,
  NotFoundError,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "../src/index.js";
import { type ScriptedServer, startScriptedServer } from "./scripted-server.js";

/** Files and avatars through the SDK, against the real server on 127.0.0.1 with real files on disk. */

const MAX_FILE = 32 * 1024;

let server: TestServer;
let admin: Credentials;
let client: Contactd;
const scripted: ScriptedServer[] = [];

beforeAll(async () => {
  server = await startServer({ maxFileBytes: MAX_FILE, maxAvatarBytes: MAX_FILE });
  admin = await newAccount(server.db);
  client = new Contactd({ baseUrl: server.url, token: admin.token });
});

afterEach(async () => {
  await Promise.all(scripted.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await server?.close();
});

const bytesOf = (buffer: ArrayBuffer) => Buffer.from(new Uint8Array(buffer));

describe("contact files", () => {
  it("uploads, lists, downloads and deletes", async () => {
    const contact = await client.contacts.create({ name: "Filed" });
    const data = new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);
    const file = await client.contacts.uploadFile(contact.id, new Blob([data]), { filename: "raw.bin" });
    expect(file).toMatchObject({
      object_name: "file",
      _id: file.id,
      contact_id: contact.id,
      name: "raw.bin",
      size: data.length,
      content_type: "application/octet-stream",
      uploaded_by: String(admin.userId),
    });
    expect(file.url).toBe(`${server.url}/v1/contacts/${contact.id}/files/${file.id}/download`);

    const page = await client.contacts.getFiles(contact.id);
    expect(page.data).toEqual([file]);
    expect(page.has_more).toBe(false);

    const downloaded = await client.contacts.downloadFile(contact.id, file.id);
    expect(downloaded).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(downloaded).equals(Buffer.from(data))).toBe(true);

    expect(await client.contacts.deleteFile(contact.id, file.id)).toEqual({
      object_name: "file",
      id: file.id,
      deleted: true,
    });
    await expect(client.contacts.downloadFile(contact.id, file.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.contacts.getFiles(contact.id)).data).toEqual([]);
  });

  it("takes a File's own name, sniffs the type, and pages through every file", async () => {
    const contact = await client.contacts.create({ name: "Many files" });
    const names = ["a.txt", "b.txt", "c.txt"];
    for (const name of names) {
      const uploaded = await client.contacts.uploadFile(
        contact.id,
        new File([`contents of ${name}`], name, { type: "image/png" }),
      );
      expect(uploaded.name).toBe(name);
      expect(uploaded.content_type).toBe("text/plain");
    }
    const seen: string[] = [];
    for await (const file of client.contacts.getFiles(contact.id, { limit: 2 })) seen.push(file.name);
    expect(seen).toEqual(["c.txt", "b.txt", "a.txt"]);
    expect((await client.contacts.getFiles(contact.id, { limit: 1, skip: 2 })).data.map((f) => f.name)).toEqual([
      "a.txt",
    ]);
  });

  it("sanitises names and keeps exotic ones intact otherwise", async () => {
    const contact = await client.contacts.create({ name: "Names" });
    const traversal = await client.contacts.uploadFile(contact.id, new Blob(["x"]), { filename: "../../etc/passwd" });
    expect(traversal.name).toBe("passwd");
    const quoted = await client.contacts.uploadFile(contact.id, new Blob(["x"]), { filename: 'say "hi" ü.txt' });
    expect(quoted.name).toBe("say _hi_ ü.txt");
  });

  it("maps errors: unknown contact, too large, not a Blob, another uploader's file", async () => {
    const contact = await client.contacts.create({ name: "Errors" });
    await expect(client.contacts.uploadFile("999999999", new Blob(["x"]))).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.contacts.getFiles("999999999")).rejects.toBeInstanceOf(NotFoundError);

    const tooLarge = client.contacts.uploadFile(contact.id, new Blob([new Uint8Array(MAX_FILE + 1)]));
    await expect(tooLarge).rejects.toBeInstanceOf(APIError);
    await expect(tooLarge).rejects.toMatchObject({ status: 413, code: "payload_too_large" });

    await expect(client.contacts.uploadFile(contact.id, "text" as unknown as Blob)).rejects.toBeInstanceOf(
      ContactdError,
    );
    await expect(client.contacts.uploadFile("", new Blob(["x"]))).rejects.toBeInstanceOf(ContactdError);

    const file = await client.contacts.uploadFile(contact.id, new Blob(["admin's"]));
    const agent = await newAgent(server, admin);
    const agentClient = new Contactd({ baseUrl: server.url, token: agent.token });
    expect(bytesOf(await agentClient.contacts.downloadFile(contact.id, file.id)).toString()).toBe("admin's");
    await expect(agentClient.contacts.deleteFile(contact.id, file.id)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("retries a lost upload with one Idempotency-Key, re-sending the form, and stores it once", async () => {
    const contact = await client.contacts.create({ name: "Retried upload" });
    const front = await startScriptedServer((_, i) => (i === 0 ? "forward-then-503" : "forward"), server.url);
    scripted.push(front);
    const retrying = new Contactd({ baseUrl: front.url, token: admin.token });
    const file = await retrying.contacts.uploadFile(contact.id, new Blob(["sent twice"]), { filename: "twice.txt" });

    expect(front.attempts).toHaveLength(2);
    const [first, second] = front.attempts;
    expect(first?.headers["idempotency-key"]).toMatch(/^sdk-/);
    expect(second?.headers["idempotency-key"]).toBe(first?.headers["idempotency-key"]);
    for (const attempt of front.attempts) {
      expect(attempt.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      expect(attempt.body).toContain("sent twice");
    }
    expect(second?.forwarded?.headers.get("idempotent-replayed")).toBe("true");
    expect(file.id).toBe(JSON.parse(first?.forwarded?.body ?? "{}").id);
    const rows = await server.db.query(
      sql`SELECT id FROM files WHERE account_id = ${admin.accountId} AND contact_id = ${Number(contact.id)}`,
    );
    expect(rows).toHaveLength(1);
  });
});

describe("avatars", () => {
  it("uploadAvatar(formData) as in the seed: the URL serves the image and fits avatar_url", async () => {
    const formData = new FormData();
    formData.append("file", new Blob([IMAGES["image/png"]]), "avatar.png");
    const result = await client.contacts.uploadAvatar(formData);
    expect(result).toEqual({
      object_name: "upload",
      url: expect.stringMatching(/\/avatars\/[A-Za-z0-9_-]{32}$/),
      content_type: "image/png",
      size: IMAGES["image/png"].length,
    });
    const served = await fetch(result.url);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(IMAGES["image/png"])).toBe(true);

    const contact = await client.contacts.create({ name: "Linked avatar" });
    const updated = await client.contacts.update(contact.id, { avatar_url: result.url });
    expect(updated.avatar_url).toBe(result.url);
  });

  it("uploadAvatar(contactId, file) sets the contact's avatar; deleteAvatar clears it", async () => {
    const contact = await client.contacts.create({ name: "Own avatar" });
    const withAvatar = await client.contacts.uploadAvatar(contact.id, new Blob([IMAGES["image/webp"]]), {
      filename: "me.webp",
    });
    expect(withAvatar.id).toBe(contact.id);
    expect(withAvatar.avatar_url).toMatch(new RegExp(`^${server.url}/avatars/[A-Za-z0-9_-]{32}$`));
    const served = await fetch(withAvatar.avatar_url as string);
    expect(served.headers.get("content-type")).toBe("image/webp");
    expect((await client.contacts.get(contact.id)).avatar_url).toBe(withAvatar.avatar_url);

    const cleared = await client.contacts.deleteAvatar(contact.id);
    expect(cleared.avatar_url).toBeNull();
    expect((await fetch(withAvatar.avatar_url as string)).status).toBe(404);
  });

  it("refuses non-images (415), missing files (422) and unknown contacts (404)", async () => {
    const contact = await client.contacts.create({ name: "Refused" });
    const notImage = client.contacts.uploadAvatar(contact.id, new Blob(["<svg/>"], { type: "image/svg+xml" }));
    await expect(notImage).rejects.toMatchObject({ status: 415, code: "unsupported_image_type" });
    const form = new FormData();
    form.append("image", new Blob([IMAGES["image/gif"]]), "a.gif");
    await expect(client.contacts.uploadAvatar(form)).rejects.toBeInstanceOf(UnprocessableEntityError);
    await expect(client.contacts.uploadAvatar("999999999", new Blob([IMAGES["image/gif"]]))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(client.contacts.deleteAvatar("999999999")).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.contacts.get(contact.id)).avatar_url).toBeNull();
  });
});
