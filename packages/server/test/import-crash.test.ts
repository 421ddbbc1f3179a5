import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/store/database.js";
import { openPglite } from "../src/store/pglite.js";
import { sql } from "../src/store/sql.js";
import { basicAuth, type freshDatabase, httpClient } from "./harness.js";
import { killHard, processStorage, type Started, start, stop } from "./processes.js";
import { upload } from "./upload-helpers.js";

/**
 * A server process killed with SIGKILL in the middle of a CSV import, and a new one started on the
 * same database and files directory: the import resumes after its last committed batch and ends
 * with every row counted once and every contact written once.
 *
 * The file is generated so each row's fate is known in advance: mostly new people, and in every
 * block of 1000 rows one update of a contact that existed before the import, one invalid email, one
 * row with no data, one repeat of the updated contact, and one repeat of a row 1600 rows earlier
 * (so, wherever the kill lands, repeats of rows committed before it are read after it).
 */

const ROWS = 20_000;
const BLOCK = 1000;
const BLOCKS = ROWS / BLOCK;
/** The worker's batch size (run.ts): each checkpoint covers whole batches. */
const BATCH_ROWS = 500;
/** The last of a block's rows repeats the row this far back (always in an earlier batch). */
const REPEAT_DISTANCE = 1600;

type Fate =
  | { result: "created"; email: string }
  | { result: "updated"; email: string }
  | { result: "skipped"; reason: "duplicate_in_file"; message: string }
  | { result: "skipped"; reason: "no_data"; message: string }
  | { result: "failed"; reason: "invalid_email" };

/** Row `i` of the data (file row i + 2, the header being row 1): its CSV line and what the import makes of it. */
function row(i: number): { line: string; fate: Fate } {
  const m = i % BLOCK;
  const block = Math.floor(i / BLOCK);
  const existing = `existing-${block}@example.com`;
  if (m === 250) return { line: `Renamed ${block},${existing},Acme`, fate: { result: "updated", email: existing } };
  if (m === 499) return { line: `Bad ${i},not-an-email-${i},`, fate: { result: "failed", reason: "invalid_email" } };
  if (m === 600) {
    return {
      line: ",,",
      fate: { result: "skipped", reason: "no_data", message: "Row has no values in the imported columns" },
    };
  }
  if (m === 750) {
    return {
      line: `Again ${block},${existing.toUpperCase()},`,
      fate: {
        result: "skipped",
        reason: "duplicate_in_file",
        message: `Same email as row ${block * BLOCK + 250 + 2}`,
      },
    };
  }
  if (m === BLOCK - 1 && i >= REPEAT_DISTANCE) {
    const earlier = i - REPEAT_DISTANCE;
    return {
      line: `Repeat ${i},P${earlier}@Example.com,`,
      fate: { result: "skipped", reason: "duplicate_in_file", message: `Same email as row ${earlier + 2}` },
    };
  }
  return {
    line: `Person ${i},p${i}@example.com,Company ${i % 7}`,
    fate: { result: "created", email: `p${i}@example.com` },
  };
}

const fates = Array.from({ length: ROWS }, (_, i) => row(i).fate);

function countsUpTo(rows: number) {
  const counts = { created: 0, updated: 0, skipped: 0, failed: 0 };
  for (const fate of fates.slice(0, rows)) counts[fate.result]++;
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ImportRecord {
  account_id: number;
  status: string;
  last_row: number;
  processed_rows: number;
  total_rows: number;
  created_count: number;
  updated_count: number;
  skipped_count: number;
  failed_count: number;
  attempts: number;
}

describe("an import whose server process is killed", { timeout: 180_000 }, () => {
  const admin = { key: "ck_import_crash_admin", secret: "import-crash-secret-0123456789" };
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const running: Started[] = [];

  beforeAll(async () => {
    ({ dataDir, database } = await processStorage("contactd-import-crash-"));
  }, 120_000);
  afterAll(async () => {
    for (const started of running) await killHard(started);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  // The same database (PGlite's directory, or the fresh PostgreSQL database) and files directory for both.
  const env = () => ({
    CONTACTD_DATA_DIR: join(dataDir, "db"),
    CONTACTD_FILES_DIR: join(dataDir, "files"),
    DATABASE_URL: database.url,
    CONTACTD_ADMIN_KEY: admin.key,
    CONTACTD_ADMIN_SECRET: admin.secret,
  });

  /** The database as the test itself opens it; PGlite only while no server process has it open. */
  async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
    const db = database.url ? await database.open() : await openPglite(join(dataDir, "db"));
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  }

  /** A server process on that storage, and its log from then on. */
  async function launch(): Promise<Started & { log(): string }> {
    const started = await start(env());
    running.push(started);
    let log = started.output;
    const collect = (chunk: Buffer) => {
      log += chunk.toString();
    };
    started.child.stdout?.on("data", collect);
    started.child.stderr?.on("data", collect);
    return Object.assign(started, { log: () => log });
  }

  /** A run that threw leaves the job claimed until its lease ends, minutes away: fail at once, with the error. */
  function expectNoImportError(server: { log(): string }): void {
    const line = server
      .log()
      .split("\n")
      .find((entry) => entry.includes('"msg":"import failed"'));
    if (line) throw new Error(`the server's import run failed: ${line}`);
  }

  /** The import, and what the crash left of it, for the second test. */
  let id: string;
  let crash: { job: ImportRecord; contacts: Array<{ id: number; email: string }>; reported: number } | undefined;

  it("is cut short by SIGKILL after some batches, leaving exactly the batches it committed", async () => {
    // The first process: contacts some rows will update, then the import.
    const first = await launch();
    const api = httpClient(first.url, basicAuth(admin));
    for (let block = 0; block < BLOCKS; block++) {
      const created = await api("POST", "/v1/contacts", {
        name: `Old ${block}`,
        email: `existing-${block}@example.com`,
      });
      expect(created.status).toBe(201);
    }
    const file = join(dataDir, "contacts.csv");
    const lines = ["name,email,company", ...Array.from({ length: ROWS }, (_, i) => row(i).line)];
    await writeFile(file, `${lines.join("\r\n")}\r\n`);
    const queued = await upload(`${first.url}/v1/imports`, basicAuth(admin), {
      data: await readFile(file),
      filename: "contacts.csv",
      contentType: "text/csv",
    });
    expect(queued.status).toBe(202);
    id = queued.body.id;

    // Killed once at least two batches are committed, long before the end.
    let seen: { status: string; processed_rows: number } = { status: "queued", processed_rows: 0 };
    const killBy = Date.now() + 120_000;
    while (seen.processed_rows < 2 * BATCH_ROWS) {
      if (Date.now() > killBy) throw new Error(`the import made no progress to cut short: ${JSON.stringify(seen)}`);
      expectNoImportError(first);
      await sleep(50);
      const answer = await api("GET", `/v1/imports/${id}`);
      expect(answer.status).toBe(200);
      seen = answer.body;
      expect(["queued", "running"], "the import finished before it was cut short: use a bigger file").toContain(
        seen.status,
      );
    }
    await killHard(first);
    running.splice(running.indexOf(first), 1);

    // What the crash left, read from the database while no server has it open.
    crash = await withDatabase(async (db) => {
      // The lease is a minute, so a restarted server would wait up to that long before taking the
      // job over: the test lets it run out now, as time would. Done first, on
      // PostgreSQL this also waits out a batch transaction that had reached its checkpoint (and so
      // may have been committing) when its process died; any other batch can no longer commit.
      await db.execute(sql`UPDATE imports SET locked_until = now() - interval '1 second' WHERE id = ${Number(id)}`);
      const [job] = await db.query<ImportRecord>(sql`SELECT * FROM imports WHERE id = ${Number(id)}`);
      if (!job) throw new Error("the import is gone");
      const contacts = await db.query<{ id: number; email: string }>(
        sql`SELECT id, email FROM contacts WHERE account_id = ${job.account_id}`,
      );
      const [reported] = await db.query<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM import_rows WHERE import_id = ${Number(id)}`,
      );
      return { job, contacts, reported: reported?.n ?? 0 };
    });
    const { job } = crash;
    expect(job).toMatchObject({ status: "running", attempts: 1, total_rows: ROWS });
    // The checkpoint covers whole batches, and its counts are exactly those batches' rows.
    expect(job.processed_rows).toBeGreaterThanOrEqual(2 * BATCH_ROWS);
    expect(job.processed_rows).toBeLessThan(ROWS);
    expect(job.processed_rows % BATCH_ROWS).toBe(0);
    expect(job.last_row).toBe(job.processed_rows + 1);
    const before = countsUpTo(job.processed_rows);
    expect({
      created: job.created_count,
      updated: job.updated_count,
      skipped: job.skipped_count,
      failed: job.failed_count,
    }).toEqual(before);
    // Nothing of the batch in flight is left behind: contacts and report rows match the checkpoint.
    expect(crash.contacts).toHaveLength(BLOCKS + before.created);
    expect(crash.reported).toBe(before.skipped + before.failed);
  });

  it("resumes on a new process from its checkpoint: every row counted once, every contact written once", async () => {
    if (!crash) throw new Error("the import was not cut short (see the test before)");
    const cut = crash.job;
    // The second process, on the same database and files, takes the job over.
    const second = await launch();
    const api = httpClient(second.url, basicAuth(admin));
    let done: any;
    const progress: number[] = [];
    const doneBy = Date.now() + 150_000;
    for (;;) {
      const answer = await api("GET", `/v1/imports/${id}`);
      expect(answer.status).toBe(200);
      progress.push(answer.body.processed_rows);
      if (answer.body.status !== "running" && answer.body.status !== "queued") {
        done = answer.body;
        break;
      }
      expectNoImportError(second);
      if (Date.now() > doneBy) throw new Error(`the import did not finish: ${JSON.stringify(answer.body)}`);
      await sleep(500);
    }
    // Never back to the start: the new process went on from the checkpoint.
    expect(Math.min(...progress)).toBeGreaterThanOrEqual(cut.processed_rows);

    const expected = countsUpTo(ROWS);
    expect(expected).toEqual({ created: 19_901, updated: 20, skipped: 59, failed: 20 });
    expect(done).toMatchObject({
      status: "succeeded",
      error: null,
      total_rows: ROWS,
      processed_rows: ROWS,
      ...expected,
    });

    // The report holds each skipped or failed row once, with its reason.
    const report = await fetch(`${second.url}/v1/imports/${id}/failed_rows.csv`, {
      headers: { authorization: basicAuth(admin) },
    });
    expect(report.status).toBe(200);
    const reported = (await report.text())
      .trim()
      .split("\r\n")
      .slice(1)
      .map((line) => {
        const [number, result, reason, message] = line.split(",");
        return { row: Number(number), result, reason, message };
      });
    const wanted = fates.flatMap((fate, i) =>
      fate.result === "skipped" || fate.result === "failed" ? [{ i, fate }] : [],
    );
    expect(reported.map((r) => r.row)).toEqual(wanted.map(({ i }) => i + 2));
    for (const [index, { fate }] of wanted.entries()) {
      const entry = reported[index];
      expect(entry).toMatchObject({ result: fate.result, reason: fate.reason });
      if (fate.result === "skipped") expect(entry?.message).toBe(fate.message);
    }
    expect(await stop(second)).toBe(0);
    running.splice(running.indexOf(second), 1);

    // What the database holds in the end.
    await withDatabase(async (db) => {
      const accountId = cut.account_id;
      const [job] = await db.query<ImportRecord>(sql`SELECT * FROM imports WHERE id = ${Number(id)}`);
      // One claim by each process: the second did not have to retry.
      expect(job?.attempts).toBe(2);
      const contacts = await db.query<{ id: number; email: string; name: string }>(
        sql`SELECT id, email, name FROM contacts WHERE account_id = ${accountId}`,
      );
      const emails = new Set(fates.flatMap((fate) => ("email" in fate ? [fate.email] : [])));
      expect(emails.size).toBe(expected.created + BLOCKS);
      expect(contacts).toHaveLength(emails.size);
      expect(new Set(contacts.map((c) => c.email))).toEqual(emails);
      // Contacts written before the crash kept their ids: none was written again.
      const byEmail = new Map(contacts.map((c) => [c.email, c]));
      for (const c of crash?.contacts ?? []) expect(byEmail.get(c.email)?.id).toBe(c.id);
      for (let block = 0; block < BLOCKS; block++) {
        expect(byEmail.get(`existing-${block}@example.com`)?.name).toBe(`Renamed ${block}`);
      }
      // History and events: one creation per new contact, one update per matched contact, none twice.
      const history = await db.query<{ action: string; entries: number; contacts: number }>(sql`
        SELECT action, count(*)::int AS entries, count(DISTINCT contact_id)::int AS contacts FROM activities
        WHERE account_id = ${accountId} AND details->>'import_id' = ${id} GROUP BY action ORDER BY action`);
      expect(history).toEqual([
        { action: "contact.created", entries: expected.created, contacts: expected.created },
        { action: "contact.updated", entries: expected.updated, contacts: expected.updated },
      ]);
      const events = await db.query<{ type: string; n: number }>(sql`
        SELECT type, count(*)::int AS n FROM events
        WHERE account_id = ${accountId} AND data->>'import_id' = ${id} GROUP BY type ORDER BY type`);
      // A creation nobody hears of (no webhook here) has its history entry and no event.
      expect(events).toEqual([
        { type: "contact.updated", n: expected.updated },
        { type: "import.finished", n: 1 },
      ]);
      const [keys] = await db.query<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM import_keys WHERE import_id = ${Number(id)}`,
      );
      expect(keys?.n).toBe(0);
    });
  });

  it("hands a running import on at once when its server is stopped gracefully", async () => {
    if (!crash) throw new Error("the import was not cut short (see the tests before)");
    const third = await launch();
    const file = join(dataDir, "contacts.csv");
    const queued = await upload(`${third.url}/v1/imports`, basicAuth(admin), {
      data: await readFile(file),
      filename: "again.csv",
      contentType: "text/csv",
    });
    expect(queued.status).toBe(202);
    const again: string = queued.body.id;
    const api = httpClient(third.url, basicAuth(admin));
    const stopBy = Date.now() + 120_000;
    for (;;) {
      const seen = (await api("GET", `/v1/imports/${again}`)).body;
      expect(seen.status, "the import finished before the stop: use a bigger file").not.toBe("succeeded");
      if (seen.processed_rows >= BATCH_ROWS) break;
      if (Date.now() > stopBy) throw new Error(`the import made no progress: ${JSON.stringify(seen)}`);
      expectNoImportError(third);
      await sleep(50);
    }
    // SIGTERM: the import stops after its current batch rather than running to the end.
    expect(await stop(third)).toBe(0);
    running.splice(running.indexOf(third), 1);
    const handedOn = await withDatabase(async (db) => {
      const [row] = await db.query<ImportRecord & { claimable: boolean }>(sql`
        SELECT *, locked_until <= now() AS claimable FROM imports WHERE id = ${Number(again)}`);
      return row;
    });
    expect(handedOn).toMatchObject({ status: "running", attempts: 1, claimable: true });
    expect(handedOn?.processed_rows).toBeLessThan(ROWS);

    // The next process takes it over without waiting for a lease to run out.
    const fourth = await launch();
    const next = httpClient(fourth.url, basicAuth(admin));
    const doneBy = Date.now() + 150_000;
    let done: any;
    for (;;) {
      done = (await next("GET", `/v1/imports/${again}`)).body;
      if (done.status !== "running" && done.status !== "queued") break;
      expectNoImportError(fourth);
      if (Date.now() > doneBy) throw new Error(`the import did not finish: ${JSON.stringify(done)}`);
      await sleep(500);
    }
    expect(done).toMatchObject({ status: "succeeded", processed_rows: ROWS });
    expect(done.created + done.updated + done.skipped + done.failed).toBe(ROWS);
    expect(done.created).toBe(0);
    expect(await stop(fourth)).toBe(0);
    running.splice(running.indexOf(fourth), 1);
    const attempts = await withDatabase(async (db) => {
      const [row] = await db.query<{ attempts: number }>(sql`SELECT attempts FROM imports WHERE id = ${Number(again)}`);
      return row?.attempts;
    });
    expect(attempts).toBe(2);
  });
});
