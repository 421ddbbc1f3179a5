import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../src/store/postgres.js";
import { sql } from "../src/store/sql.js";
import { backend, basicAuth, freshDatabase, httpClient } from "./harness.js";
import { buildServer, killHard, type Started, start, stop } from "./processes.js";
import { openSse } from "./sse-reader.js";
import { MULTIPART, multipartBody } from "./upload-helpers.js";
import { startReceiver } from "./webhook-receiver.js";

/**
 * Two server processes on one PostgreSQL (and one files directory): live notifications reach a
 * stream on either process, whichever process made the change; each webhook delivery, import and
 * export is done by exactly one of them, both working at once; a process killed in the middle of
 * imports loses nothing; and a key revoked through one is refused by the other.
 */
describe.skipIf(backend !== "postgres")("two server processes on one database", () => {
  const admin = { key: "ck_scaleout_admin", secret: "scale-out-secret-0123456789" };
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let one: Started;
  let two: Started;
  let env: Record<string, string>;
  let filesDir: string;

  beforeAll(async () => {
    buildServer();
    database = await freshDatabase();
    filesDir = await mkdtemp(join(tmpdir(), "contactd-scale-out-"));
    env = {
      DATABASE_URL: database.url as string,
      CONTACTD_FILES_DIR: filesDir,
      CONTACTD_ADMIN_KEY: admin.key,
      CONTACTD_ADMIN_SECRET: admin.secret,
      CONTACTD_WEBHOOK_RETRY_BASE_MS: "20",
    };
    one = await start(env);
    two = await start(env);
  }, 120_000);
  afterAll(async () => {
    if (one) await stop(one);
    if (two) await stop(two);
    await database?.drop();
    await rm(filesDir, { recursive: true, force: true });
  });

  /** Queues an import of `rows` new people through `via`; resolves to its id. */
  async function queueImport(via: Started, name: string, rows: number): Promise<string> {
    const lines = ["name,email", ...Array.from({ length: rows }, (_, i) => `${name} ${i},${name}-${i}@scale.test`)];
    const response = await fetch(`${via.url}/v1/imports`, {
      method: "POST",
      headers: { authorization: basicAuth(admin), "content-type": MULTIPART },
      body: multipartBody([{ name: "file", filename: `${name}.csv`, contentType: "text/csv", data: lines.join("\n") }]),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  async function withDatabase<T>(work: (db: ReturnType<typeof openPostgres>) => Promise<T>): Promise<T> {
    const db = openPostgres(database.url as string, 2);
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  }

  interface JobRow {
    id: number;
    status: string;
    attempts: number;
    started_at: Date;
    finished_at: Date | null;
  }

  /** Waits until none of the jobs in `table` is queued or running; returns them all. */
  async function settledJobs(table: "imports" | "export_jobs", timeoutMs = 120_000) {
    const by = Date.now() + timeoutMs;
    for (;;) {
      const rows = await withDatabase((db) =>
        db.query<JobRow & Record<string, unknown>>(sql`SELECT * FROM ${sql.raw(table)} ORDER BY id`),
      );
      if (rows.every((row) => row.status !== "queued" && row.status !== "running")) return rows;
      if (Date.now() > by) throw new Error(`${table} still unfinished: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("deliver live notifications to streams on both, and each webhook exactly once", async () => {
    const viaOne = httpClient(one.url, basicAuth(admin));
    const viaTwo = httpClient(two.url, basicAuth(admin));
    const user = (await viaOne("POST", "/v1/users", { name: "Agent", role: "agent" })).body;
    const agent = (await viaOne("POST", `/v1/users/${user.id}/api_keys`, {})).body;
    // Every fifth request fails, so retries happen too, and may be picked up by either process.
    let calls = 0;
    const hook = await startReceiver(() => (calls++ % 5 === 4 ? 500 : 200));
    try {
      await viaTwo("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] });
      const streams = [
        await openSse(`${one.url}/v1/notifications/stream`, { authorization: basicAuth(agent) }),
        await openSse(`${two.url}/v1/notifications/stream`, { authorization: basicAuth(agent) }),
      ];
      for (const stream of streams) await stream.waitFor((events) => events.some((e) => e.event === "ready"));

      const contact = (await viaOne("POST", "/v1/contacts", { name: "Shared" })).body.id;
      for (let i = 0; i < 6; i++) {
        const via = i % 2 === 0 ? viaOne : viaTwo;
        await via("POST", `/v1/contacts/${contact}/comments`, {
          text: `note ${i} [@Agent](mention://user/${user.id}/Agent)`,
        });
      }
      for (const stream of streams) await stream.waitFor(() => stream.notifications().length === 6);
      const [first, second] = streams.map((stream) => stream.notifications().map((n) => n.id));
      expect(first).toEqual(second);
      expect(new Set(first).size).toBe(6);

      const creates = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? viaOne : viaTwo)("POST", "/v1/contacts", { name: `Parallel ${i}` }),
      );
      expect((await Promise.all(creates)).every((answer) => answer.status === 201)).toBe(true);
      await hook.waitFor(() => hook.accepted().length >= 41, 30_000);
      // Anything sent twice would arrive within a lease; wait out a few poll rounds to see it.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const accepted = hook.accepted().map((r) => r.id);
      expect(accepted).toHaveLength(41);
      expect(new Set(accepted).size).toBe(41);
      for (const stream of streams) await stream.close();
    } finally {
      await hook.close();
    }
  }, 60_000);

  it("stop a key revoked through one process on the other at once, although it had just served it", async () => {
    const viaOne = httpClient(one.url, basicAuth(admin));
    const me = (await viaOne("GET", "/v1/me")).body.user.id;
    const issued = (await viaOne("POST", `/v1/users/${me}/api_keys`, { name: "short-lived" })).body;
    const asKeyOnTwo = httpClient(two.url, basicAuth(issued));
    // Served, and so remembered, by the second process.
    for (let i = 0; i < 3; i++) expect((await asKeyOnTwo("GET", "/v1/contacts?limit=1")).status).toBe(200);
    expect((await viaOne("DELETE", `/v1/api_keys/${issued.id}`)).status).toBe(200);
    // The NOTIFY travels through the database: allow it a moment, far below the cache's lifetime.
    let status = 0;
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && status !== 401) {
      status = (await asKeyOnTwo("GET", "/v1/contacts?limit=1")).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(401);
  });

  it("share imports and exports: both work at once, and each job runs once", async () => {
    const imports = await Promise.all(
      Array.from({ length: 6 }, (_, i) => queueImport(i % 2 === 0 ? one : two, `shared${i}`, 3000)),
    );
    const viaOne = httpClient(one.url, basicAuth(admin));
    const viaTwo = httpClient(two.url, basicAuth(admin));
    const exports = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        (i % 2 === 0 ? viaOne : viaTwo)("POST", "/v1/exports", { columns: ["id", "email"] }),
      ),
    );
    expect(exports.every((answer) => answer.status === 202)).toBe(true);

    const doneImports = (await settledJobs("imports")).filter((row) => imports.includes(String(row.id)));
    expect(doneImports.map((row) => [row.status, row.attempts, row.created_count])).toEqual(
      imports.map(() => ["succeeded", 1, 3000]),
    );
    // One process runs one import at a time: imports that ran at the same time ran in both.
    const overlapping = doneImports.some((a) =>
      doneImports.some(
        (b) => a !== b && a.started_at < (b.finished_at as Date) && b.started_at < (a.finished_at as Date),
      ),
    );
    expect(overlapping, "two imports ran at the same time").toBe(true);
    const doneExports = await settledJobs("export_jobs");
    expect(doneExports.map((row) => [row.status, row.attempts])).toEqual(exports.map(() => ["succeeded", 1]));
    const files = (await readdir(join(filesDir, "blobs", "exports"), { recursive: true, withFileTypes: true })).filter(
      (entry) => entry.isFile(),
    );
    expect(files).toHaveLength(4);
    const [counts] = await withDatabase((db) =>
      db.query<{ contacts: number; finished: number }>(sql`
        SELECT (SELECT count(*)::int FROM contacts WHERE email LIKE 'shared%@scale.test') AS contacts,
          (SELECT count(*)::int FROM events WHERE type = 'import.finished') AS finished`),
    );
    expect(counts).toEqual({ contacts: 18_000, finished: 6 });
  }, 180_000);

  it("lose nothing when one is killed in the middle of imports: the other finishes them, each row once", async () => {
    // Two large imports at once: each process runs one, so the kill cuts one of them off.
    const ids = [await queueImport(one, "killed0", 20_000), await queueImport(two, "killed1", 20_000)];
    const by = Date.now() + 60_000;
    for (;;) {
      const running = await withDatabase((db) =>
        db.query<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM imports WHERE id = ANY(${ids.map(Number)}::bigint[])
            AND status = 'running' AND processed_rows > 0`),
      );
      if (running[0]?.n === 2) break;
      if (Date.now() > by) throw new Error("the imports did not both start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await killHard(one);
    // The killed worker's lease would run out within a minute: let it run out now, as time would.
    await withDatabase((db) =>
      db.execute(sql`
        UPDATE imports SET locked_until = now() - interval '1 second'
        WHERE id = ANY(${ids.map(Number)}::bigint[]) AND status = 'running'`),
    );
    const done = (await settledJobs("imports", 150_000)).filter((row) => ids.includes(String(row.id)));
    expect(done.map((row) => [row.status, row.processed_rows, row.created_count])).toEqual([
      ["succeeded", 20_000, 20_000],
      ["succeeded", 20_000, 20_000],
    ]);
    expect(
      done.some((row) => row.attempts === 2),
      "one import was taken over",
    ).toBe(true);
    const [written] = await withDatabase((db) =>
      db.query<{ contacts: number; distinct: number }>(sql`
        SELECT count(*)::int AS contacts, count(DISTINCT email)::int AS distinct FROM contacts
        WHERE email LIKE 'killed%@scale.test'`),
    );
    expect(written).toEqual({ contacts: 40_000, distinct: 40_000 });
    // A process started again joins in.
    one = await start(env);
    expect((await fetch(`${one.url}/readyz`)).status).toBe(200);
  }, 240_000);
});
