import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import {
  basicAuth,
  type Credentials,
  httpClient,
  newAccount,
  newAgent,
  startServer,
  type TestServer,
  useServer,
} from "./harness.js";
import { filesUnder, IMAGES, MULTIPART, multipartBody, upload } from "./upload-helpers.js";

const MAX_AVATAR = 16 * 1024;
const AVATAR_URL = /^http:\/\/127\.0\.0\.1:\d+\/avatars\/[A-Za-z0-9_-]{32}$/;

let server: TestServer;
let admin: Credentials;
let api: ReturnType<typeof httpClient>;

const fixture = useServer({ maxAvatarBytes: MAX_AVATAR });
beforeAll(() => {
  ({ server, admin, api } = fixture);
});

async function newContact(client = api): Promise<string> {
  const res = await client("POST", "/v1/contacts", { name: "Has a face" });
  expect(res.status).toBe(201);
  return res.body.id;
}

const avatarUrl = (contactId: string) => `${server.url}/v1/contacts/${contactId}/avatar`;

function putAvatar(contactId: string, data: Buffer | string, contentType = "image/png", auth = basicAuth(admin)) {
  return upload(avatarUrl(contactId), auth, { data, contentType, filename: "me.png" }, { method: "PUT" });
}

/** Public GET, no credentials. */
async function fetchPublic(url: string) {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function avatarBlobs(): Promise<string[]> {
  return (await filesUnder(server.blobs.root)).filter((path) => path.startsWith("blobs/avatars/"));
}

async function staging(): Promise<string[]> {
  return (await filesUnder(server.blobs.root)).filter((path) => path.startsWith("tmp/"));
}

async function avatarRows(): Promise<string[]> {
  const rows = await server.db.query<{ key: string }>(
    sql`SELECT key FROM avatars WHERE account_id = ${admin.accountId} ORDER BY key`,
  );
  return rows.map((row) => row.key);
}

async function storedAvatar(contactId: string) {
  const [row] = await server.db.query<{ avatar_key: string | null; avatar_url: string | null }>(
    sql`SELECT avatar_key, avatar_url FROM contacts WHERE account_id = ${admin.accountId} AND id = ${Number(contactId)}`,
  );
  return row;
}

async function avatarHistory(contactId: string) {
  return server.db.query<{ actor_id: number; details: any }>(sql`
    SELECT actor_id, details FROM activities
    WHERE account_id = ${admin.accountId} AND contact_id = ${Number(contactId)} AND action = 'avatar.changed'
    ORDER BY id`);
}

describe("contact avatars", () => {
  for (const [type, bytes] of Object.entries(IMAGES)) {
    it(`takes a ${type} (declared as anything) and serves its exact bytes publicly`, async () => {
      const contactId = await newContact();
      const res = await putAvatar(contactId, bytes, "application/octet-stream");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ object_name: "contact", id: contactId });
      expect(res.body.avatar_url).toMatch(AVATAR_URL);
      expect((await api("GET", `/v1/contacts/${contactId}`)).body.avatar_url).toBe(res.body.avatar_url);
      // The row keeps the path, so a changed public URL changes every avatar URL with it.
      const stored = await storedAvatar(contactId);
      expect(stored?.avatar_url).toBe(`/avatars/${stored?.avatar_key}`);

      const served = await fetchPublic(res.body.avatar_url);
      expect(served.status).toBe(200);
      expect(served.bytes.equals(bytes)).toBe(true);
      expect(served.headers.get("content-type")).toBe(type);
      expect(served.headers.get("content-length")).toBe(String(bytes.length));
      expect(served.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    });
  }

  it("shows the avatar URL in lists and search too", async () => {
    const contactId = await newContact();
    const url = (await putAvatar(contactId, IMAGES["image/gif"], "image/gif")).body.avatar_url;
    const listed = (await api("GET", "/v1/contacts?limit=200")).body.data.find(
      (c: { id: string }) => c.id === contactId,
    );
    expect(listed.avatar_url).toBe(url);
  });

  const refused: Array<[string, Buffer | string, string]> = [
    ["text declared as a PNG", "definitely not an image", "image/png"],
    ["a plain text file", "hello", "text/plain"],
    ["HTML declared as a GIF", "<html><script>alert(1)</script></html>", "image/gif"],
    ["an SVG", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"],
    ["a PDF declared as a JPEG", "%PDF-1.4\n", "image/jpeg"],
    ["an empty file", "", "image/png"],
  ];
  for (const [label, data, declared] of refused) {
    it(`refuses ${label} with 415 and keeps nothing`, async () => {
      const contactId = await newContact();
      const before = await avatarRows();
      const res = await putAvatar(contactId, data, declared);
      expect(res.status).toBe(415);
      expect(res.body.error).toMatchObject({
        type: "invalid_request_error",
        code: "unsupported_image_type",
        field: "file",
      });
      expect(await storedAvatar(contactId)).toEqual({ avatar_key: null, avatar_url: null });
      expect(await avatarRows()).toEqual(before);
      expect(await staging()).toEqual([]);
      expect(await avatarHistory(contactId)).toEqual([]);
    });
  }

  it("refuses an image past the limit with 413 and keeps nothing", async () => {
    const contactId = await newContact();
    const before = await avatarBlobs();
    const big = Buffer.concat([IMAGES["image/png"], Buffer.alloc(MAX_AVATAR, 0)]);
    const res = await putAvatar(contactId, big);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(await storedAvatar(contactId)).toEqual({ avatar_key: null, avatar_url: null });
    expect(await avatarBlobs()).toEqual(before);
    expect(await staging()).toEqual([]);
  });

  it("replaces an avatar, deleting the old one's bytes and row", async () => {
    const contactId = await newContact();
    const first = (await putAvatar(contactId, IMAGES["image/png"])).body.avatar_url;
    const firstKey = first.split("/").pop();
    const blobsWithFirst = await avatarBlobs();
    expect(blobsWithFirst.some((path) => path.endsWith(firstKey))).toBe(true);

    const second = (await putAvatar(contactId, IMAGES["image/jpeg"], "image/jpeg")).body.avatar_url;
    expect(second).not.toBe(first);
    expect((await fetchPublic(first)).status).toBe(404);
    const served = await fetchPublic(second);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    expect(served.bytes.equals(IMAGES["image/jpeg"])).toBe(true);
    expect((await avatarBlobs()).some((path) => path.endsWith(firstKey))).toBe(false);
    expect(await avatarRows()).not.toContain(firstKey);
    expect(await avatarRows()).toContain(second.split("/").pop());
  });

  it("removes an avatar: URL cleared, image gone; removing again changes nothing", async () => {
    const contactId = await newContact();
    const url = (await putAvatar(contactId, IMAGES["image/webp"], "image/webp")).body.avatar_url;
    const key = url.split("/").pop();
    const removed = await api("DELETE", `/v1/contacts/${contactId}/avatar`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ object_name: "contact", id: contactId, avatar_url: null });
    expect(await storedAvatar(contactId)).toEqual({ avatar_key: null, avatar_url: null });
    expect((await fetchPublic(url)).status).toBe(404);
    expect((await avatarBlobs()).some((path) => path.endsWith(key))).toBe(false);
    expect(await avatarRows()).not.toContain(key);
    const again = await api("DELETE", `/v1/contacts/${contactId}/avatar`);
    expect(again.status).toBe(200);
    expect(again.body.avatar_url).toBeNull();
  });

  it("removes a linked (not uploaded) avatar URL too", async () => {
    const contactId = (
      await api("POST", "/v1/contacts", { name: "Linked", avatar_url: "https://cdn.example.com/a.png" })
    ).body.id;
    const removed = await api("DELETE", `/v1/contacts/${contactId}/avatar`);
    expect(removed.body.avatar_url).toBeNull();
  });

  it("records avatar.changed for upload, replacement and removal", async () => {
    const contactId = await newContact();
    const first = (await putAvatar(contactId, IMAGES["image/png"])).body.avatar_url;
    const second = (await putAvatar(contactId, IMAGES["image/gif"], "image/gif")).body.avatar_url;
    await api("DELETE", `/v1/contacts/${contactId}/avatar`);
    const path = (url: string) => new URL(url).pathname;
    expect(await avatarHistory(contactId)).toEqual([
      {
        actor_id: admin.userId,
        details: {
          changes: { avatar_url: { from: null, to: path(first) } },
          content_type: "image/png",
          size: IMAGES["image/png"].length,
        },
      },
      {
        actor_id: admin.userId,
        details: {
          changes: { avatar_url: { from: path(first), to: path(second) } },
          content_type: "image/gif",
          size: IMAGES["image/gif"].length,
        },
      },
      { actor_id: admin.userId, details: { changes: { avatar_url: { from: path(second), to: null } } } },
    ]);
  });

  it("deleting the contact removes its avatar's and its files' bytes", async () => {
    const contactId = await newContact();
    const before = await filesUnder(server.blobs.root);
    const url = (await putAvatar(contactId, IMAGES["image/png"])).body.avatar_url;
    const file = await upload(`${server.url}/v1/contacts/${contactId}/files`, basicAuth(admin), { data: "doc" });
    expect(file.status).toBe(201);
    expect((await filesUnder(server.blobs.root)).length).toBe(before.length + 2);
    expect((await api("DELETE", `/v1/contacts/${contactId}`)).status).toBe(200);
    expect(await filesUnder(server.blobs.root)).toEqual(before);
    expect(await avatarRows()).not.toContain(url.split("/").pop());
    expect((await fetchPublic(url)).status).toBe(404);
  });

  it("answers 404 for unknown contacts and other accounts' contacts, storing nothing", async () => {
    const contactId = await newContact();
    const before = await filesUnder(server.blobs.root);
    for (const missing of ["999999999", "abc", "0"]) {
      expect((await putAvatar(missing, IMAGES["image/png"])).status).toBe(404);
      expect((await api("DELETE", `/v1/contacts/${missing}/avatar`)).status).toBe(404);
    }
    const other = await newAccount(server.db);
    const res = await putAvatar(contactId, IMAGES["image/png"], "image/png", basicAuth(other));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("contact_not_found");
    expect((await httpClient(server.url, basicAuth(other))("DELETE", `/v1/contacts/${contactId}/avatar`)).status).toBe(
      404,
    );
    expect(await filesUnder(server.blobs.root)).toEqual(before);
    expect(await storedAvatar(contactId)).toEqual({ avatar_key: null, avatar_url: null });
  });

  it("answers 404 to unknown or malformed avatar keys", async () => {
    for (const key of ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "short", "..%2F..%2Fetc%2Fpasswd", "a".repeat(65)]) {
      const res = await fetch(`${server.url}/avatars/${key}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe("avatar_not_found");
    }
  });

  it("lets agents set and remove avatars; needs credentials", async () => {
    const agent = await newAgent(server, admin);
    const contactId = await newContact();
    const set = await putAvatar(contactId, IMAGES["image/png"], "image/png", basicAuth(agent));
    expect(set.status).toBe(200);
    expect(await avatarHistory(contactId)).toMatchObject([{ actor_id: agent.userId }]);
    expect((await httpClient(server.url, basicAuth(agent))("DELETE", `/v1/contacts/${contactId}/avatar`)).status).toBe(
      200,
    );
    expect(
      (await upload(avatarUrl(contactId), undefined, { data: IMAGES["image/png"] }, { method: "PUT" })).status,
    ).toBe(401);
    expect((await fetch(avatarUrl(contactId), { method: "DELETE" })).status).toBe(401);
  });

  it("answers 422 without a file part and 415 to a JSON body", async () => {
    const contactId = await newContact();
    const noFile = await fetch(avatarUrl(contactId), {
      method: "PUT",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: multipartBody([{ name: "other", data: "x" }]),
    });
    expect(noFile.status).toBe(422);
    expect(((await noFile.json()) as any).error.details[0].field).toBe("file");
    const json = await api("PUT", `/v1/contacts/${contactId}/avatar`, { avatar_url: "https://x.example/a.png" });
    expect(json.status).toBe(415);
  });

  it("keeps nothing when the transaction fails at COMMIT, after the bytes were put in place", async () => {
    const suffix = `${process.pid}_${Date.now()}`;
    const doomed = Buffer.concat([IMAGES["image/png"], Buffer.from(`doomed-${suffix}`)]);
    await server.db.exec(`
      CREATE FUNCTION fail_avatars_${suffix}() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'simulated failure at commit'; END $$;
      CREATE CONSTRAINT TRIGGER fail_avatars_${suffix} AFTER INSERT ON avatars DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.size = ${doomed.length}) EXECUTE FUNCTION fail_avatars_${suffix}();`);
    try {
      const contactId = await newContact();
      const old = (await putAvatar(contactId, IMAGES["image/gif"], "image/gif")).body.avatar_url;
      const before = await filesUnder(server.blobs.root);
      const res = await putAvatar(contactId, doomed);
      expect(res.status).toBe(500);
      expect(await filesUnder(server.blobs.root)).toEqual(before);
      // The contact keeps its previous avatar, bytes and all.
      expect((await api("GET", `/v1/contacts/${contactId}`)).body.avatar_url).toBe(old);
      expect((await fetchPublic(old)).status).toBe(200);
      expect(await avatarHistory(contactId)).toHaveLength(1);
      const uploadRes = await upload(`${server.url}/v1/uploads`, basicAuth(admin), { data: doomed });
      expect(uploadRes.status).toBe(500);
      expect(await filesUnder(server.blobs.root)).toEqual(before);
    } finally {
      await server.db.exec(`
        DROP TRIGGER IF EXISTS fail_avatars_${suffix} ON avatars;
        DROP FUNCTION IF EXISTS fail_avatars_${suffix}();`);
    }
  });
});

describe("POST /v1/uploads (the seed SDK's uploadAvatar)", () => {
  const uploadsUrl = () => `${server.url}/v1/uploads`;

  it("stores an image and answers with its public URL, usable as a contact's avatar_url", async () => {
    const res = await upload(uploadsUrl(), basicAuth(admin), { data: IMAGES["image/jpeg"], contentType: "image/png" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      object_name: "upload",
      url: expect.stringMatching(AVATAR_URL),
      content_type: "image/jpeg",
      size: IMAGES["image/jpeg"].length,
    });
    const served = await fetchPublic(res.body.url);
    expect(served.bytes.equals(IMAGES["image/jpeg"])).toBe(true);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    const contact = await api("POST", "/v1/contacts", { name: "From upload", avatar_url: res.body.url });
    expect(contact.status).toBe(201);
    expect(contact.body.avatar_url).toBe(res.body.url);
  });

  it("refuses non-images (415), oversized images (413) and missing files (422), keeping nothing", async () => {
    const before = await filesUnder(server.blobs.root);
    const rows = await avatarRows();
    const text = await upload(uploadsUrl(), basicAuth(admin), { data: "plain text", contentType: "image/png" });
    expect(text.status).toBe(415);
    const big = await upload(uploadsUrl(), basicAuth(admin), {
      data: Buffer.concat([IMAGES["image/gif"], Buffer.alloc(MAX_AVATAR)]),
    });
    expect(big.status).toBe(413);
    const none = await upload(uploadsUrl(), basicAuth(admin), { data: IMAGES["image/png"], field: "image" });
    expect(none.status).toBe(422);
    expect(await filesUnder(server.blobs.root)).toEqual(before);
    expect(await avatarRows()).toEqual(rows);
  });

  it("needs credentials", async () => {
    expect((await upload(uploadsUrl(), undefined, { data: IMAGES["image/png"] })).status).toBe(401);
  });
});

describe("with CONTACTD_PUBLIC_URL", () => {
  it("hands out avatar and file URLs under the configured base", async () => {
    const configured = await startServer({ db: server.db, publicUrl: "https://contacts.example.com/" });
    try {
      const account = await newAccount(server.db);
      const client = httpClient(configured.url, basicAuth(account));
      const contactId = (await client("POST", "/v1/contacts", { name: "Configured" })).body.id;
      const res = await upload(
        `${configured.url}/v1/contacts/${contactId}/avatar`,
        basicAuth(account),
        { data: IMAGES["image/png"] },
        { method: "PUT" },
      );
      expect(res.body.avatar_url).toMatch(/^https:\/\/contacts\.example\.com\/avatars\/[A-Za-z0-9_-]{32}$/);
      const file = await upload(`${configured.url}/v1/contacts/${contactId}/files`, basicAuth(account), { data: "x" });
      expect(file.body.url).toBe(
        `https://contacts.example.com/v1/contacts/${contactId}/files/${file.body.id}/download`,
      );
      const uploaded = await upload(`${configured.url}/v1/uploads`, basicAuth(account), { data: IMAGES["image/gif"] });
      expect(uploaded.body.url).toMatch(/^https:\/\/contacts\.example\.com\/avatars\//);
      // The same contact through a server without the setting: same path, that server's origin.
      const plain = await api("GET", `/v1/contacts/${contactId}`);
      expect(plain.status).toBe(404); // another account: invisible to this client
      const direct = await httpClient(server.url, basicAuth(account))("GET", `/v1/contacts/${contactId}`);
      expect(direct.body.avatar_url).toBe(`${server.url}${new URL(res.body.avatar_url).pathname}`);
    } finally {
      await configured.close();
    }
  });
});

describe("an avatar_url written over an uploaded avatar", () => {
  it("releases the uploaded image: public URL, row and bytes", async () => {
    const contactId = await newContact();
    const uploaded = await putAvatar(contactId, IMAGES["image/png"]);
    expect(uploaded.status).toBe(200);
    const publicUrl = uploaded.body.avatar_url as string;
    expect(publicUrl).toMatch(AVATAR_URL);
    const key = publicUrl.split("/").pop() as string;
    expect(await avatarRows()).toContain(key);

    const linked = await api("PATCH", `/v1/contacts/${contactId}`, { avatar_url: "https://cdn.example.com/face.png" });
    expect(linked.body.avatar_url).toBe("https://cdn.example.com/face.png");
    expect((await fetchPublic(publicUrl)).status).toBe(404);
    expect(await avatarRows()).not.toContain(key);
    expect((await avatarBlobs()).some((path) => path.endsWith(key))).toBe(false);

    const unrelated = await api("PATCH", `/v1/contacts/${contactId}`, { name: "Renamed" });
    expect(unrelated.body.avatar_url).toBe("https://cdn.example.com/face.png");
  });
});
