import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAccount, startServer, type TestServer } from "../../server/test/harness.js";
import { APIUserAbortError, Contactd, GoneError, NotFoundError, UnprocessableEntityError } from "../src/index.js";

/** Merge and CSV export through the SDK, against the real server. */

let server: TestServer;
let client: Contactd;

beforeAll(async () => {
  server = await startServer();
  const admin = await newAccount(server.db);
  client = new Contactd({ baseUrl: server.url, token: admin.token });
});

afterAll(async () => {
  await server?.close();
});

describe("contacts.merge", () => {
  it("keeps the base, fills its blanks from the mergee, and retires the mergee's id", async () => {
    const base = await client.contacts.create({ name: "Kept", labels: ["vip"] });
    const mergee = await client.contacts.create({ name: "Merged", email: "merged@example.com", labels: ["lead"] });
    await client.contacts.comments.create(mergee.id, { text: "moves along" });

    const preview = await client.contacts.merge({
      base_contact_id: base.id,
      mergee_contact_id: mergee.id,
      dry_run: true,
    });
    expect(preview).toMatchObject({ dry_run: true, contact: { id: base.id, email: "merged@example.com" } });
    expect((await client.contacts.get(mergee.id)).name).toBe("Merged");

    const merged = await client.contacts.merge({ base_contact_id: base.id, mergee_contact_id: Number(mergee.id) });
    expect(merged).toMatchObject({
      object_name: "contact_merge",
      dry_run: false,
      merged_contact_id: mergee.id,
      contact: { id: base.id, name: "Kept", email: "merged@example.com", labels: ["lead", "vip"] },
      moved: { comments: 1, labels: 1 },
    });
    const gone = await client.contacts.get(mergee.id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(GoneError);
    expect(gone).toMatchObject({ status: 410, code: "contact_merged", mergedInto: base.id });
    expect((await client.contacts.getComments(base.id)).data.map((c) => c.text)).toEqual(["moves along"]);
  });

  it("throws typed errors for a self-merge and an unknown contact", async () => {
    const one = await client.contacts.create({ name: "One" });
    await expect(client.contacts.merge({ base_contact_id: one.id, mergee_contact_id: one.id })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
    await expect(
      client.contacts.merge({ base_contact_id: one.id, mergee_contact_id: "999999999" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("contacts.exportCsv", () => {
  it("returns the CSV text, and streams the same bytes", async () => {
    const team = await newAccount(server.db);
    const own = new Contactd({ baseUrl: server.url, token: team.token });
    await own.contacts.create({ name: "Doe, Jane", email: "jane@example.com", custom_attributes: { plan: "=pro" } });
    await own.contacts.create({ name: "Lê Văn B", labels: ["vip"] });
    const csv = await own.contacts.exportCsv({ columns: ["name", "email", "custom_attributes.plan"] });
    expect(csv.split("\r\n")).toEqual([
      "name,email,custom_attributes.plan",
      '"Doe, Jane",jane@example.com,\'=pro',
      "Lê Văn B,,",
      "",
    ]);
    expect(await own.contacts.exportCsv({ columns: ["name"], labels: ["vip"] })).toBe("name\r\nLê Văn B\r\n");

    const stream = await own.contacts.exportCsvStream({ columns: ["name", "email", "custom_attributes.plan"] });
    const text = await new Response(stream).text();
    expect(text).toBe(csv);
    const bom = await own.contacts.exportCsv({ columns: ["name"], bom: true });
    expect(bom.charCodeAt(0)).toBe(0xfeff);
  });
});

describe("contacts.upsert and contacts.batch", () => {
  it("upserts one person once, and reports every batch operation", async () => {
    const first = await client.contacts.upsert({ identifier: "sdk-upsert-1", name: "First" });
    const again = await client.contacts.upsert({ identifier: "sdk-upsert-1", email: "up@example.com" });
    expect(again).toMatchObject({ id: first.id, name: "First", email: "up@example.com" });

    const batch = await client.contacts.batch([
      { op: "create", data: { name: "Batched", email: "batched@example.com" }, ref: "a" },
      { op: "update", id: first.id, data: { name: "Renamed" } },
      { op: "create", data: { email: "batched@example.com" } },
      { op: "update", id: "999999999", data: { name: "x" } },
    ]);
    expect(batch.results.map((r) => r.status)).toEqual([201, 200, 409, 404]);
    expect(batch.results[0]).toMatchObject({ ref: "a", contact: { name: "Batched" } });
    expect(batch.results[2]?.error?.code).toBe("email_taken");
    expect(batch.counts).toEqual({ succeeded: 2, failed: 2 });
  });
});

describe("client.imports", () => {
  it("imports a CSV in the background and reports every row", async () => {
    const team = await newAccount(server.db);
    const own = new Contactd({ baseUrl: server.url, token: team.token });
    const csv = "first_name,last_name,email,mobile\nAna,Lima,ana@example.com,+14155550101\nBad,Row,not-an-email,\n";
    const queued = await own.imports.create(new Blob([csv], { type: "text/csv" }), { filename: "people.csv" });
    expect(queued).toMatchObject({ object_name: "import", status: "queued", file_name: "people.csv" });
    await server.core.imports.runDue({ accountId: team.accountId });
    const done = await own.imports.wait(queued.id, { intervalMs: 50, timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "succeeded", total_rows: 2, created: 1, updated: 0, skipped: 0, failed: 1 });
    expect((await own.contacts.lookup({ email: "ana@example.com" })).name).toBe("Ana Lima");
    const failed = await own.imports.failedRowsCsv(queued.id);
    expect(failed).toContain("not-an-email");
    expect((await own.imports.list()).data.map((i) => i.id)).toEqual([queued.id]);
  });
});

describe("waiting for a job", () => {
  it("stops when its signal aborts, with APIUserAbortError", async () => {
    const team = await newAccount(server.db);
    const own = new Contactd({ baseUrl: server.url, token: team.token });
    // Queued, and left queued: nothing runs it here.
    const queued = await own.imports.create(new Blob(["name\nAna\n"], { type: "text/csv" }), { filename: "a.csv" });
    const started = Date.now();
    const waiting = own.imports.wait(queued.id, {
      intervalMs: 50,
      timeoutMs: 10_000,
      signal: AbortSignal.timeout(300),
    });
    await expect(waiting).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const aborted = new AbortController();
    aborted.abort();
    await expect(own.imports.wait(queued.id, { signal: aborted.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect((await own.imports.get(queued.id)).status).toBe("queued");
  });
});

describe("client.exports", () => {
  it("writes the export in the background, with the bytes of the streamed export", async () => {
    const team = await newAccount(server.db);
    const own = new Contactd({ baseUrl: server.url, token: team.token });
    await own.contacts.create({ name: "Queued, Export", email: "queued@example.com", labels: ["vip"] });
    await own.contacts.create({ name: "Left out" });
    const choices = { columns: ["name", "email", "labels"], labels: ["vip"], bom: true };
    const queued = await own.exports.create(choices);
    expect(queued).toMatchObject({ object_name: "export", status: "queued", download_path: null });
    await expect(own.exports.downloadCsv(queued.id)).rejects.toMatchObject({ status: 409 });
    await expect(own.exports.create({ columns: ["nope"] })).rejects.toBeInstanceOf(UnprocessableEntityError);

    await server.core.exports.runDue({ accountId: team.accountId });
    const done = await own.exports.wait(queued.id, { intervalMs: 50, timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "succeeded", download_path: `/v1/exports/${queued.id}/download` });
    const csv = await own.exports.downloadCsv(queued.id);
    expect(csv).toBe(await own.contacts.exportCsv(choices));
    expect(csv).toBe('\ufeffname,email,labels\r\n"Queued, Export",queued@example.com,vip\r\n');
    expect(await new Response(await own.exports.downloadStream(queued.id)).text()).toBe(csv.slice(1));
    expect((await own.exports.list()).data.map((e) => e.id)).toEqual([queued.id]);
  });
});
