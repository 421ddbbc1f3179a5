import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import {
  backend,
  basicAuth,
  type Credentials,
  httpClient,
  newAccount,
  newAgent,
  type TestServer,
  useServer,
} from "./harness.js";
import { BOUNDARY, filesUnder, IMAGES, MULTIPART, multipartBody, upload } from "./upload-helpers.js";

const MAX_FILE = 64 * 1024;
const STORED_BLOB = /^blobs\/files\/[0-9a-f]{4}\/[A-Za-z0-9_-]{24}$/;

let server: TestServer;
let admin: Credentials;
let api: ReturnType<typeof httpClient>;

const fixture = useServer({ maxFileBytes: MAX_FILE });
beforeAll(() => {
  ({ server, admin, api } = fixture);
});

async function newContact(client = api, name = "With files"): Promise<string> {
  const res = await client("POST", "/v1/contacts", { name });
  expect(res.status).toBe(201);
  return res.body.id;
}

const filesUrl = (contactId: string) => `${server.url}/v1/contacts/${contactId}/files`;

async function download(url: string, authorization = basicAuth(admin)) {
  const response = await fetch(url, { headers: { authorization } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function fileRows(contactId: string) {
  return server.db.query<{ id: number; storage_key: string }>(
    sql`SELECT id, storage_key FROM files WHERE account_id = ${admin.accountId} AND contact_id = ${Number(contactId)}`,
  );
}

async function history(contactId: string) {
  return server.db.query<{ action: string; actor_id: number | null; details: Record<string, unknown> }>(sql`
    SELECT action, actor_id, details FROM activities
    WHERE account_id = ${admin.accountId} AND contact_id = ${Number(contactId)} ORDER BY id`);
}

/** Everything in the blob root outside committed file blobs: staging leftovers and strays. */
async function strayFiles(): Promise<string[]> {
  return (await filesUnder(server.blobs.root)).filter((path) => !STORED_BLOB.test(path));
}

describe("files: upload, list, download, delete", () => {
  it("round-trips bytes exactly and answers in the file schema", async () => {
    const contactId = await newContact();
    const bytes = Buffer.concat([Buffer.from([0, 1, 2, 255, 254]), Buffer.alloc(40_000, 7)]);
    const created = await upload(filesUrl(contactId), basicAuth(admin), { data: bytes, filename: "data.bin" });
    expect(created.status).toBe(201);
    const file = created.body;
    expect(file).toEqual({
      object_name: "file",
      _id: file.id,
      id: expect.stringMatching(/^\d+$/),
      contact_id: contactId,
      name: "data.bin",
      url: `${server.url}/v1/contacts/${contactId}/files/${file.id}/download`,
      size: bytes.length,
      content_type: "application/octet-stream",
      sha256: createHash("sha256").update(bytes).digest("hex"),
      uploaded_by: String(admin.userId),
      created_at: expect.any(String),
    });
    expect(new Date(file.created_at).toISOString()).toBe(file.created_at);

    const list = await api("GET", `/v1/contacts/${contactId}/files`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ object_name: "list", data: [file], has_more: false, next_cursor: null });
    expect((await api("GET", `/v1/contacts/${contactId}/files/${file.id}`)).body).toEqual(file);

    const got = await download(file.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(got.headers.get("content-length")).toBe(String(bytes.length));
    expect(got.headers.get("content-disposition")).toBe(`attachment; filename="data.bin"; filename*=UTF-8''data.bin`);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");

    const [row] = await fileRows(contactId);
    expect(row?.storage_key).toMatch(/^files\//);
    expect(existsSync(join(server.blobs.root, "blobs", ...(row?.storage_key ?? "").split("/")))).toBe(true);

    const deleted = await api("DELETE", `/v1/contacts/${contactId}/files/${file.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ object_name: "file", id: file.id, deleted: true });
    expect((await download(file.url)).status).toBe(404);
    expect((await api("GET", `/v1/contacts/${contactId}/files/${file.id}`)).status).toBe(404);
    expect((await api("DELETE", `/v1/contacts/${contactId}/files/${file.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/contacts/${contactId}/files`)).body.data).toEqual([]);
    expect(existsSync(join(server.blobs.root, "blobs", ...(row?.storage_key ?? "").split("/")))).toBe(false);
    expect(await fileRows(contactId)).toEqual([]);
  });

  it("records file.added and file.deleted in the contact's history", async () => {
    const contactId = await newContact();
    const file = (await upload(filesUrl(contactId), basicAuth(admin), { data: "notes", filename: "a.txt" })).body;
    await api("DELETE", `/v1/contacts/${contactId}/files/${file.id}`);
    const entries = (await history(contactId)).filter((entry) => entry.action.startsWith("file."));
    expect(entries).toEqual([
      {
        action: "file.added",
        actor_id: admin.userId,
        details: { file_id: file.id, name: "a.txt", content_type: "text/plain", size: 5 },
      },
      {
        action: "file.deleted",
        actor_id: admin.userId,
        details: { file_id: file.id, name: "a.txt", content_type: "text/plain", size: 5 },
      },
    ]);
  });

  it("lists newest first with limit and skip", async () => {
    const contactId = await newContact();
    const ids: string[] = [];
    for (const name of ["one.txt", "two.txt", "three.txt"]) {
      ids.push((await upload(filesUrl(contactId), basicAuth(admin), { data: name, filename: name })).body.id);
    }
    const first = await api("GET", `/v1/contacts/${contactId}/files?limit=2`);
    expect(first.body.data.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await api("GET", `/v1/contacts/${contactId}/files?limit=2&skip=2`);
    expect(second.body.data.map((f: { id: string }) => f.id)).toEqual([ids[0]]);
    expect(second.body.has_more).toBe(false);
    expect((await api("GET", `/v1/contacts/${contactId}/files?limit=0`)).status).toBe(422);
    expect((await api("GET", `/v1/contacts/${contactId}/files?limit=abc`)).status).toBe(422);
    expect((await api("GET", `/v1/contacts/${contactId}/files?skip=-1`)).status).toBe(422);
  });

  it("replays an upload retried with the same Idempotency-Key, storing it once", async () => {
    const contactId = await newContact();
    const headers = { "idempotency-key": `files-${contactId}` };
    const first = await upload(
      filesUrl(contactId),
      basicAuth(admin),
      { data: "once", filename: "once.txt" },
      { headers },
    );
    const again = await upload(
      filesUrl(contactId),
      basicAuth(admin),
      { data: "once", filename: "once.txt" },
      { headers },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await fileRows(contactId)).toHaveLength(1);
  });
});

describe("files: content type comes from the bytes", () => {
  const cases: Array<[string, Buffer | string, string, string]> = [
    ["HTML declared as a PNG", "<!DOCTYPE html><script>alert(1)</script>", "image/png", "text/plain"],
    ["a PNG declared as text", IMAGES["image/png"], "text/plain", "image/png"],
    ["a JPEG declared as HTML", IMAGES["image/jpeg"], "text/html", "image/jpeg"],
    ["a GIF", IMAGES["image/gif"], "application/octet-stream", "image/gif"],
    ["a WebP", IMAGES["image/webp"], "image/png", "image/webp"],
    ["a PDF", "%PDF-1.7\n%\xe2\xe3\n1 0 obj", "application/octet-stream", "application/pdf"],
    ["a ZIP", Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), "text/plain", "application/zip"],
    ["a gzip", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), "text/plain", "application/gzip"],
    ["binary bytes declared as text", Buffer.from([0, 1, 2, 3, 4, 5, 0, 0]), "text/plain", "application/octet-stream"],
    ["UTF-8 text", "Grüße, 你好 — ok\n", "application/octet-stream", "text/plain"],
    // 63 ASCII bytes and then a 3-byte character cut off by the 64-byte head.
    ["long UTF-8 text", `${"a".repeat(63)}你好${"b".repeat(100)}`, "application/octet-stream", "text/plain"],
    ["an SVG (text, never an image)", '<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", "text/plain"],
    ["an empty file", "", "text/plain", "application/octet-stream"],
  ];
  for (const [label, data, declared, expected] of cases) {
    it(`stores ${label} as ${expected}`, async () => {
      const contactId = await newContact();
      const res = await upload(filesUrl(contactId), basicAuth(admin), { data, contentType: declared });
      expect(res.status).toBe(201);
      expect(res.body.content_type).toBe(expected);
      const got = await download(res.body.url);
      expect(got.headers.get("content-type")).toBe(expected);
      expect(got.bytes.equals(Buffer.isBuffer(data) ? data : Buffer.from(data))).toBe(true);
    });
  }
});

describe("files: names", () => {
  const cases: Array<[string, string]> = [
    ["../../etc/passwd", "passwd"],
    ["..\\..\\x", "x"],
    ["..\\x", "x"],
    ["/absolute/path/report.pdf", "report.pdf"],
    ["C:\\Users\\me\\notes.txt", "notes.txt"],
    ["a\u0000b\u0001c\u001f\u007f.txt", "abc.txt"],
    ["in\u202Egnp.exe", "ingnp.exe"],
    [".bashrc", "bashrc"],
    ["...", "file"],
    ["..", "file"],
    ["   ", "file"],
    ["", "file"],
    ["what?<is>:this|*.txt", "what__is__this__.txt"],
    ["résumé 2024 (final).pdf", "résumé 2024 (final).pdf"],
    [`${"x".repeat(300)}.pdf`, `${"x".repeat(251)}.pdf`],
  ];
  for (const [given, stored] of cases) {
    it(`stores ${JSON.stringify(given)} as ${JSON.stringify(stored)}`, async () => {
      const contactId = await newContact();
      const res = await upload(filesUrl(contactId), basicAuth(admin), { data: "x", filename: given });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(stored);
    });
  }

  it("never writes outside the blob root, whatever the name", async () => {
    const contactId = await newContact();
    for (const filename of ["../../escape.txt", "../../../../tmp/escape2.txt", "..\\..\\escape3.txt"]) {
      expect((await upload(filesUrl(contactId), basicAuth(admin), { data: "gotcha", filename })).status).toBe(201);
    }
    const parent = dirname(server.blobs.root);
    for (const name of ["escape.txt", "escape2.txt", "escape3.txt"]) {
      expect(existsSync(join(parent, name))).toBe(false);
      expect(existsSync(join(server.blobs.root, name))).toBe(false);
    }
    expect(await strayFiles()).toEqual([]);
  });

  it("offers a non-ASCII name properly encoded for download", async () => {
    const contactId = await newContact();
    const file = (await upload(filesUrl(contactId), basicAuth(admin), { data: "x", filename: "résumé (v2)'s.txt" }))
      .body;
    const got = await download(file.url);
    expect(got.headers.get("content-disposition")).toBe(
      `attachment; filename="r_sum_ (v2)'s.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28v2%29%27s.txt`,
    );
  });
});

describe("files: limits and bad requests", () => {
  it("takes a file of exactly the limit", async () => {
    const contactId = await newContact();
    const res = await upload(filesUrl(contactId), basicAuth(admin), { data: Buffer.alloc(MAX_FILE, 1) });
    expect(res.status).toBe(201);
    expect(res.body.size).toBe(MAX_FILE);
  });

  for (const size of [MAX_FILE + 1, 3 * 1024 * 1024]) {
    it(`refuses ${size} bytes with 413 and keeps nothing`, async () => {
      const contactId = await newContact();
      const res = await upload(filesUrl(contactId), basicAuth(admin), { data: Buffer.alloc(size, 2) });
      expect(res.status).toBe(413);
      expect(res.body.error).toMatchObject({
        type: "invalid_request_error",
        code: "payload_too_large",
        field: "file",
        request_id: expect.any(String),
      });
      expect(res.body.error.message).toContain(String(MAX_FILE));
      expect(await fileRows(contactId)).toEqual([]);
      expect(await strayFiles()).toEqual([]);
      expect((await history(contactId)).map((entry) => entry.action)).not.toContain("file.added");
    });
  }

  it("answers 422 naming the file field when there is no file part", async () => {
    const contactId = await newContact();
    const onlyField = await fetch(filesUrl(contactId), {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: multipartBody([{ name: "note", data: "no file here" }]),
    });
    expect(onlyField.status).toBe(422);
    expect(((await onlyField.json()) as any).error.details).toEqual([
      { field: "file", code: "required", message: expect.any(String) },
    ]);
    const wrongField = await upload(filesUrl(contactId), basicAuth(admin), { data: "x", field: "document" });
    expect(wrongField.status).toBe(422);
    expect(wrongField.body.error.details[0].field).toBe("file");
    const empty = await fetch(filesUrl(contactId), { method: "POST", headers: { authorization: basicAuth(admin) } });
    expect(empty.status).toBe(422);
    const emptyForm = await fetch(filesUrl(contactId), {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: `--${BOUNDARY}--\r\n`,
    });
    expect(emptyForm.status).toBe(422);
    expect(await fileRows(contactId)).toEqual([]);
  });

  it("answers 415 to a body that is not multipart", async () => {
    const contactId = await newContact();
    const json = await api("POST", `/v1/contacts/${contactId}/files`, { file: "aGVsbG8=" });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe("unsupported_media_type");
    expect(json.body.error.message).toContain("multipart/form-data");
    const text = await api("POST", `/v1/contacts/${contactId}/files`, "hello", { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(await fileRows(contactId)).toEqual([]);
  });

  it("answers 400 to a multipart body cut off mid-file, keeping nothing", async () => {
    const contactId = await newContact();
    const whole = multipartBody([{ name: "file", filename: "cut.bin", data: Buffer.alloc(10_000, 3) }]);
    const res = await fetch(filesUrl(contactId), {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: whole.subarray(0, 5_000),
    });
    expect(res.status).toBe(400);
    expect(await fileRows(contactId)).toEqual([]);
    expect(await strayFiles()).toEqual([]);
  });
});

describe("files: tenancy and roles", () => {
  it("answers 404 for unknown contacts and files", async () => {
    const contactId = await newContact();
    const file = (await upload(filesUrl(contactId), basicAuth(admin), { data: "x" })).body;
    for (const missing of ["999999999", "abc", "0", "-1", "1.5"]) {
      expect((await upload(filesUrl(missing), basicAuth(admin), { data: "x" })).status).toBe(404);
      expect((await api("GET", `/v1/contacts/${missing}/files`)).status).toBe(404);
      expect((await api("GET", `/v1/contacts/${contactId}/files/${missing}`)).status).toBe(404);
      expect((await download(`${filesUrl(contactId)}/${missing}/download`)).status).toBe(404);
      expect((await api("DELETE", `/v1/contacts/${contactId}/files/${missing}`)).status).toBe(404);
      expect((await download(`${filesUrl(missing)}/${file.id}/download`)).status).toBe(404);
    }
    const unknownContact = await upload(filesUrl("999999999"), basicAuth(admin), { data: "x" });
    expect(unknownContact.body.error.code).toBe("contact_not_found");
    // A file is reached only through its own contact.
    const otherContact = await newContact();
    expect((await api("GET", `/v1/contacts/${otherContact}/files/${file.id}`)).status).toBe(404);
    expect((await download(`${filesUrl(otherContact)}/${file.id}/download`)).status).toBe(404);
    expect((await api("DELETE", `/v1/contacts/${otherContact}/files/${file.id}`)).status).toBe(404);
    expect(await strayFiles()).toEqual([]);
  });

  it("hides another account's contacts and files (404), downloads included", async () => {
    const contactId = await newContact();
    const file = (await upload(filesUrl(contactId), basicAuth(admin), { data: "secret" })).body;
    const other = await newAccount(server.db);
    const otherAuth = basicAuth(other);
    const otherApi = httpClient(server.url, otherAuth);
    expect((await otherApi("GET", `/v1/contacts/${contactId}/files`)).status).toBe(404);
    expect((await otherApi("GET", `/v1/contacts/${contactId}/files/${file.id}`)).status).toBe(404);
    expect((await download(file.url, otherAuth)).status).toBe(404);
    expect((await otherApi("DELETE", `/v1/contacts/${contactId}/files/${file.id}`)).status).toBe(404);
    expect((await upload(filesUrl(contactId), otherAuth, { data: "intruder" })).status).toBe(404);
    expect((await download(file.url)).bytes.toString()).toBe("secret");
    expect(await fileRows(contactId)).toHaveLength(1);
  });

  it("needs credentials for every route", async () => {
    const contactId = await newContact();
    const file = (await upload(filesUrl(contactId), basicAuth(admin), { data: "x" })).body;
    expect((await upload(filesUrl(contactId), undefined, { data: "x" })).status).toBe(401);
    expect((await fetch(filesUrl(contactId))).status).toBe(401);
    expect((await fetch(file.url)).status).toBe(401);
    expect((await fetch(`${filesUrl(contactId)}/${file.id}`, { method: "DELETE" })).status).toBe(401);
  });

  it("lets agents upload, list and download; only the uploader or an administrator deletes", async () => {
    const agent = await newAgent(server, admin);
    const agentAuth = basicAuth(agent);
    const agentApi = httpClient(server.url, agentAuth);
    const contactId = await newContact();
    const byAgent = await upload(filesUrl(contactId), agentAuth, { data: "agent's", filename: "agent.txt" });
    expect(byAgent.status).toBe(201);
    expect(byAgent.body.uploaded_by).toBe(String(agent.userId));
    const byAdmin = (await upload(filesUrl(contactId), basicAuth(admin), { data: "admin's" })).body;
    expect((await agentApi("GET", `/v1/contacts/${contactId}/files`)).body.data).toHaveLength(2);
    expect((await download(byAdmin.url, agentAuth)).bytes.toString()).toBe("admin's");

    const forbidden = await agentApi("DELETE", `/v1/contacts/${contactId}/files/${byAdmin.id}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.type).toBe("permission_error");
    expect((await download(byAdmin.url)).status).toBe(200);

    expect((await agentApi("DELETE", `/v1/contacts/${contactId}/files/${byAgent.body.id}`)).status).toBe(200);
    const second = (await upload(filesUrl(contactId), agentAuth, { data: "again" })).body;
    expect((await api("DELETE", `/v1/contacts/${contactId}/files/${second.id}`)).status).toBe(200);
    expect((await api("DELETE", `/v1/contacts/${contactId}/files/${byAdmin.id}`)).status).toBe(200);
    expect(await fileRows(contactId)).toEqual([]);
    expect(await strayFiles()).toEqual([]);
  });
});

describe("files: nothing half-written", () => {
  it("deleting the contact removes its files' bytes", async () => {
    const contactId = await newContact();
    const before = await filesUnder(server.blobs.root);
    for (const name of ["a.txt", "b.bin"]) {
      expect(
        (await upload(filesUrl(contactId), basicAuth(admin), { data: `bytes of ${name}`, filename: name })).status,
      ).toBe(201);
    }
    const keys = (await fileRows(contactId)).map((row) => `blobs/${row.storage_key}`);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(await filesUnder(server.blobs.root)).toContain(key);
    expect((await api("DELETE", `/v1/contacts/${contactId}`)).status).toBe(200);
    expect(await filesUnder(server.blobs.root)).toEqual(before);
    expect(await fileRows(contactId)).toEqual([]);
  });

  it("keeps no bytes when the contact is deleted while the file is arriving", async () => {
    const contactId = await newContact();
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
    let resume!: () => void;
    const released = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(head);
        controller.enqueue(Buffer.alloc(8_000, 5));
        await released;
        controller.enqueue(Buffer.alloc(8_000, 6));
        controller.enqueue(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
        controller.close();
      },
    });
    const pending = fetch(filesUrl(contactId), {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body,
      duplex: "half",
    } as RequestInit);
    // Wait until the server is staging the bytes, then delete the contact under it.
    for (let i = 0; i < 200 && !(await filesUnder(server.blobs.root)).some((p) => p.startsWith("tmp/")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await filesUnder(server.blobs.root)).some((p) => p.startsWith("tmp/"))).toBe(true);
    expect((await api("DELETE", `/v1/contacts/${contactId}`)).status).toBe(200);
    resume();
    const res = await pending;
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("contact_not_found");
    expect(await fileRows(contactId)).toEqual([]);
    expect(await strayFiles()).toEqual([]);
  });

  it("a contact delete waits for a file being attached, then removes its bytes too", async () => {
    // The file's INSERT sleeps while holding its lock on the contact; the delete comes in then.
    const suffix = `${process.pid}_${Date.now()}`;
    await server.db.exec(`
      CREATE FUNCTION slow_files_${suffix}() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;
      CREATE TRIGGER slow_files_${suffix} BEFORE INSERT ON files
        FOR EACH ROW WHEN (NEW.name = 'slow-${suffix}.txt') EXECUTE FUNCTION slow_files_${suffix}();`);
    try {
      const contactId = await newContact();
      const pending = upload(filesUrl(contactId), basicAuth(admin), { data: "slow", filename: `slow-${suffix}.txt` });
      // PGlite has one connection, so there the two simply run one after the other.
      for (let i = 0; backend === "postgres" && i < 300; i++) {
        const sleeping = await server.db.query(
          sql`SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%INSERT INTO files%'`,
        );
        if (sleeping.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect((await api("DELETE", `/v1/contacts/${contactId}`)).status).toBe(200);
      expect([201, 404]).toContain((await pending).status);
      expect(await fileRows(contactId)).toEqual([]);
      // Every file blob on disk still belongs to a row.
      const onDisk = (await filesUnder(server.blobs.root))
        .filter((path) => path.startsWith("blobs/files/"))
        .map((path) => path.slice("blobs/".length));
      const rows = await server.db.query<{ storage_key: string }>(
        sql`SELECT storage_key FROM files WHERE storage_key = ANY(${onDisk}::text[])`,
      );
      expect(rows.map((row) => row.storage_key).sort()).toEqual(onDisk.sort());
      expect(await strayFiles()).toEqual([]);
    } finally {
      await server.db.exec(`
        DROP TRIGGER IF EXISTS slow_files_${suffix} ON files;
        DROP FUNCTION IF EXISTS slow_files_${suffix}();`);
    }
  });

  it("removes the bytes when the transaction fails at COMMIT, after they were put in place", async () => {
    // A deferred constraint trigger fails the COMMIT itself, i.e. after the bytes got their key.
    const suffix = `${process.pid}_${Date.now()}`;
    await server.db.exec(`
      CREATE FUNCTION fail_files_${suffix}() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'simulated failure at commit'; END $$;
      CREATE CONSTRAINT TRIGGER fail_files_${suffix} AFTER INSERT ON files DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.name = 'fail-at-commit-${suffix}.txt') EXECUTE FUNCTION fail_files_${suffix}();`);
    try {
      const contactId = await newContact();
      const before = await filesUnder(server.blobs.root);
      const res = await upload(filesUrl(contactId), basicAuth(admin), {
        data: "doomed",
        filename: `fail-at-commit-${suffix}.txt`,
      });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe("internal_error");
      expect(await fileRows(contactId)).toEqual([]);
      expect(await filesUnder(server.blobs.root)).toEqual(before);
      expect((await history(contactId)).map((entry) => entry.action)).toEqual(["contact.created"]);
      // The same contact takes the next file normally.
      expect((await upload(filesUrl(contactId), basicAuth(admin), { data: "fine" })).status).toBe(201);
    } finally {
      await server.db.exec(`
        DROP TRIGGER IF EXISTS fail_files_${suffix} ON files;
        DROP FUNCTION IF EXISTS fail_files_${suffix}();`);
    }
  });
});
