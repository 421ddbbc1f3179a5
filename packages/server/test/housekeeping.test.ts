import { mkdir, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { basicAuth, type TestServer, useServer } from "./harness.js";
import { filesUnder, IMAGES, MULTIPART, multipartBody, upload } from "./upload-helpers.js";

/**
 * The sweep removes what crashes and time leave behind (staged uploads, bytes no row names,
 * expired Idempotency-Keys) once it is an hour old, and nothing that a row still needs.
 */
describe("sweeping leftovers", () => {
  const fixture = useServer();
  let server: TestServer;
  let root: string;
  const HOURS_AGO = (hours: number) => new Date(Date.now() - hours * 3600_000);

  beforeAll(() => {
    server = fixture.server;
    root = server.blobs.root;
  });

  const plant = async (path: string, age: Date) => {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, "left behind");
    await utimes(full, age, age);
  };
  const age = async (paths: string[], when: Date) => {
    for (const path of paths) await utimes(join(root, path), when, when);
  };
  const postImport = async () => {
    const response = await fetch(`${server.url}/v1/imports`, {
      method: "POST",
      headers: { authorization: basicAuth(fixture.admin), "content-type": MULTIPART },
      body: multipartBody([{ name: "file", filename: "c.csv", contentType: "text/csv", data: "name\nSwept Ann\n" }]),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const blobKeyOfImport = async (id: string) =>
    (
      await server.db.query<{ blob_key: string }>(sql`
        SELECT blob_key FROM imports WHERE account_id = ${fixture.admin.accountId} AND id = ${Number(id)}`)
    )[0]?.blob_key as string;

  it("removes old staged uploads and unreferenced bytes, and keeps every referenced or recent one", async () => {
    const { api } = fixture;
    const auth = basicAuth(fixture.admin);
    const contact = (await api("POST", "/v1/contacts", { name: "Kept Files" })).body.id as string;
    const file = await upload(`${server.url}/v1/contacts/${contact}/files`, auth, { data: "kept bytes" });
    expect(file.status).toBe(201);
    const avatar = await upload(
      `${server.url}/v1/contacts/${contact}/avatar`,
      auth,
      { data: IMAGES["image/png"], contentType: "image/png", filename: "a.png" },
      { method: "PUT" },
    );
    expect(avatar.status).toBe(200);
    const job = (await api("POST", "/v1/exports", { columns: ["id", "name"] })).body.id as string;
    await server.core.exports.runDue({ accountId: fixture.admin.accountId });
    expect((await api("GET", `/v1/exports/${job}`)).body.status).toBe("succeeded");
    const queuedImport = await postImport();
    const finishedImport = await postImport();
    // Runs both; the first is queued again below by putting its file back as if never run.
    await server.core.imports.runDue({ accountId: fixture.admin.accountId });

    const referenced = (await filesUnder(join(root, "blobs"))).map((path) => `blobs/${path}`);
    expect(referenced.length, "file, avatar and export bytes").toBe(3);
    await age(referenced, HOURS_AGO(2));
    // An unfinished import still needs its file; a finished one's file should have gone.
    await server.db.execute(sql`
      UPDATE imports SET status = 'queued' WHERE account_id = ${fixture.admin.accountId} AND id = ${Number(queuedImport)}`);
    const queuedKey = `blobs/${await blobKeyOfImport(queuedImport)}`;
    const finishedKey = `blobs/${await blobKeyOfImport(finishedImport)}`;
    await plant(queuedKey, HOURS_AGO(2));
    await plant(finishedKey, HOURS_AGO(2));

    const leftovers = [
      "tmp/0123456789abcdef0123456789abcdef",
      "blobs/files/ab/orphan-file-bytes",
      "blobs/avatars/Zz/Zz0123456789abcdefghijklmnopqrstu",
      "blobs/exports/cd/orphan-export",
      finishedKey,
    ];
    const recent = ["tmp/fedcba9876543210fedcba9876543210", "blobs/files/ef/being-written-now"];
    for (const path of leftovers.slice(0, 4)) await plant(path, HOURS_AGO(2));
    for (const path of recent) await plant(path, HOURS_AGO(0.5));

    const swept = await server.core.sweepLeftovers();
    expect(swept).toMatchObject({ stagedUploads: 1, orphanBlobs: 4 });
    const left = await filesUnder(root);
    expect(left.filter((path) => leftovers.includes(path))).toEqual([]);
    for (const path of [...referenced, queuedKey, ...recent]) expect(left, path).toContain(path);

    // What is kept still works.
    const download = await fetch(`${server.url}/v1/exports/${job}/download`, { headers: { authorization: auth } });
    expect(download.status).toBe(200);
    expect(await server.core.sweepLeftovers()).toMatchObject({ stagedUploads: 0, orphanBlobs: 0 });
  });

  it("purges Idempotency-Keys past their 24 hours, and keeps the others", async () => {
    const { api } = fixture;
    await api("POST", "/v1/contacts", { name: "Idem Old" }, { "idempotency-key": "sweep-old" });
    await api("POST", "/v1/contacts", { name: "Idem New" }, { "idempotency-key": "sweep-new" });
    await server.db.execute(sql`
      UPDATE idempotency_keys SET created_at = now() - interval '25 hours'
      WHERE account_id = ${fixture.admin.accountId} AND key = 'sweep-old'`);
    const swept = await server.core.sweepLeftovers();
    expect(swept.expiredIdempotencyKeys).toBeGreaterThanOrEqual(1);
    const keys = await server.db.query<{ key: string }>(sql`
      SELECT key FROM idempotency_keys WHERE account_id = ${fixture.admin.accountId} AND key LIKE 'sweep-%'`);
    expect(keys.map((row) => row.key)).toEqual(["sweep-new"]);
  });
});
