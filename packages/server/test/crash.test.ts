import { createHash, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../src/store/database.js";
import { openPglite } from "../src/store/pglite.js";
import { sql } from "../src/store/sql.js";
import { basicAuth, type freshDatabase, httpClient } from "./harness.js";
import { killHard, processStorage, type Started, start, stop, until } from "./processes.js";
import { filesUnder, upload } from "./upload-helpers.js";

/**
 * Server processes killed with SIGKILL (no shutdown handler runs) while they write, and new ones
 * started on the same database (PGlite's directory, or a fresh PostgreSQL database) and files
 * directory. Where the kill lands varies from run to run; what is asserted does not: every write
 * that was answered 2xx is there exactly as answered, and a write in flight at the kill is either
 * all there (row, history entry and outbox event) or not there at all.
 *
 * - A burst of concurrent clients creating, updating, commenting, labelling and uploading, killed
 *   after a random number of answers; then each write cut off is retried as a client would.
 * - A POST killed exactly between its commit and the storing of its Idempotency-Key answer.
 * - Rounds of concurrent merges, killed right after sending, on the first answer and once half
 *   were answered.
 * - An export job killed just after it was queued.
 *
 * The tests run in order on the same storage, and some hand their restarted server to the next
 * one (so fewer processes start: each start is seconds on PGlite).
 */

type Api = ReturnType<typeof httpClient>;
type Answer = Awaited<ReturnType<Api>>;
type Credentials = { key: string; secret: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const sorted = <T>(values: T[]) => [...values].sort();

// ---- The burst ---------------------------------------------------------------------------------

/** What each client does to each contact it makes, in order, one request at a time. */
type Step =
  | { kind: "create" }
  | { kind: "comment"; n: number }
  | { kind: "update"; n: number }
  | { kind: "label"; n: number }
  | { kind: "file" };
const STEPS: Step[] = [
  { kind: "create" },
  { kind: "comment", n: 1 },
  { kind: "update", n: 1 },
  { kind: "label", n: 1 },
  { kind: "file" },
  { kind: "comment", n: 2 },
  { kind: "update", n: 2 },
  { kind: "label", n: 2 },
];
/** The history entry (and event) each step writes, exactly one per step. */
const ACTION = {
  create: "contact.created",
  comment: "comment.created",
  update: "contact.updated",
  label: "contact.labels_changed",
  file: "file.added",
} as const;

const CLIENTS = 16;

/** One contact of the burst and what the server acknowledged of it. */
interface Tracked {
  key: string;
  email: string;
  id: string | undefined;
  /** Steps answered 2xx (a prefix of STEPS). */
  acked: number;
  /** The step after the acknowledged ones was sent and got no answer (the kill). */
  inFlight: boolean;
  /** Ids of the acknowledged comments and files, in order. */
  comments: string[];
  files: string[];
}

const nameOf = (t: Tracked, version: number) => `Burst ${t.key} v${version}`;
const commentText = (t: Tracked, n: number) => `Comment ${n} on ${t.key}`;
const fileData = (t: Tracked) => `File of ${t.key}\n${"x".repeat(200)}\n`;

/** The contact as it must be after its first `applied` steps. */
function expectedAfter(t: Tracked, applied: number) {
  const steps = STEPS.slice(0, applied);
  let version = 0;
  const labels = ["burst"];
  const comments: string[] = [];
  let files = 0;
  for (const step of steps) {
    if (step.kind === "update") version = step.n;
    if (step.kind === "label") labels.push(`step-${step.n}`);
    if (step.kind === "comment") comments.push(commentText(t, step.n));
    if (step.kind === "file") files++;
  }
  return {
    name: nameOf(t, version),
    attributes: version === 0 ? { origin: t.key } : { origin: t.key, step: version },
    labels: sorted(labels),
    comments,
    files,
    actions: steps.map((step) => ACTION[step.kind]),
  };
}

// ---- The merges --------------------------------------------------------------------------------

const PAIRS = 24;
/** Merges sent per round; each round ends with a kill. */
const ROUND = 8;

interface Records {
  conversations: string[];
  comments: string[];
  files: Array<{ id: string; sha256: string }>;
  labels: string[];
  followers: string[];
  history: number;
}

interface Pair {
  n: number;
  base: string;
  mergee: string;
  before: { base: Records; mergee: Records };
  answer?: number;
}

/**
 * The test's own trigger (never the product's): holds the statement that stores the answer of a
 * POST with an Idempotency-Key starting "hold-" (after the request's write has committed) for 30
 * seconds, so a kill lands between the two.
 */
const HOLD_TRIGGER = `
  CREATE OR REPLACE FUNCTION crash_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.key LIKE 'hold-%' AND NEW.status_code IS NOT NULL THEN PERFORM pg_sleep(30); END IF;
    RETURN NEW;
  END $$;
  DROP TRIGGER IF EXISTS crash_test_hold ON idempotency_keys;
  CREATE TRIGGER crash_test_hold BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION crash_test_hold();`;

describe("a server process killed with SIGKILL", { timeout: 240_000 }, () => {
  const admin: Credentials = { key: "ck_crash_admin", secret: "crash-secret-0123456789abcdef" };
  let agent: (Credentials & { userId: string }) | undefined;
  let accountId = 0;
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const running: Array<Started & { log(): string }> = [];

  beforeAll(async () => {
    ({ dataDir, database } = await processStorage("contactd-crash-"));
  }, 120_000);
  /** A server a test leaves running for the next one (each says so). */
  let handedOn: (Started & { log(): string }) | undefined;
  // A test that failed half-way may leave its server running: end it, so the next test's kills
  // and database reads see only their own processes.
  beforeEach(async () => {
    const leftovers = running.filter((s) => s !== handedOn);
    for (const started of leftovers) await kill(started);
  });
  afterAll(async () => {
    for (const started of running) await killHard(started);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  const filesDir = () => join(dataDir, "files");
  const env = () => ({
    CONTACTD_DATA_DIR: join(dataDir, "db"),
    CONTACTD_FILES_DIR: filesDir(),
    DATABASE_URL: database.url,
    CONTACTD_ADMIN_KEY: admin.key,
    CONTACTD_ADMIN_SECRET: admin.secret,
    // The burst is far above the default per-credential rate, which is not what is tested here.
    CONTACTD_RATE_LIMIT: "0",
  });

  /** The database as the test opens it; PGlite only while no server process has it open. */
  async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
    const db = database.url ? await database.open() : await openPglite(join(dataDir, "db"));
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  }

  /**
   * After a kill, PostgreSQL may still be running what the dead process sent (a COMMIT it had
   * sent commits): wait until none of its connections is left, so what is read next is final.
   */
  async function settle(): Promise<void> {
    if (!database.url) return;
    await withDatabase((db) =>
      until("the killed server's connections to end", async () => {
        const [row] = await db.query<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`);
        return row?.n === 0;
      }),
    );
  }

  async function launch(): Promise<Started & { log(): string }> {
    const started = await start(env());
    let log = started.output;
    const collect = (chunk: Buffer) => {
      log += chunk.toString();
    };
    started.child.stdout?.on("data", collect);
    started.child.stderr?.on("data", collect);
    const server = Object.assign(started, { log: () => log });
    running.push(server);
    return server;
  }

  async function kill(server: Started & { log(): string }): Promise<void> {
    await killHard(server);
    running.splice(running.indexOf(server), 1);
    await settle();
  }

  async function stopGracefully(server: Started & { log(): string }): Promise<void> {
    expectNoErrors(server);
    expect(await stop(server)).toBe(0);
    running.splice(running.indexOf(server), 1);
  }

  /** A restarted server logs no error: nothing the crash left behind trips it up. */
  function expectNoErrors(server: { log(): string }): void {
    const errors = server
      .log()
      .split("\n")
      .filter((line) => /"level":(50|60)/.test(line));
    expect(errors, "errors in the server's log").toEqual([]);
  }

  /** The account's admin and an agent (made once, through the API). */
  async function account(server: Started): Promise<{ api: Api; agentApi: Api }> {
    const api = httpClient(server.url, basicAuth(admin));
    if (!agent) {
      accountId = Number((await api("GET", "/v1/me")).body.organization.id);
      const user = await api("POST", "/v1/users", { name: "Crash agent", role: "agent" });
      expect(user.status).toBe(201);
      const key = await api("POST", `/v1/users/${user.body.id}/api_keys`, { name: "crash agent" });
      expect(key.status).toBe(201);
      agent = { key: key.body.key, secret: key.body.secret, userId: user.body.id };
    }
    return { api, agentApi: httpClient(server.url, basicAuth(agent)) };
  }

  /**
   * Waits until the server has dispatched every event committed so far: the agent follows a new
   * contact and is told of a comment on it, and events are dispatched in id order.
   */
  async function awaitDispatch(server: Started): Promise<void> {
    const { api, agentApi } = await account(server);
    const sentinel = (await api("POST", "/v1/contacts", { name: `Sentinel ${Date.now()}` })).body.id;
    expect((await api("PUT", `/v1/contacts/${sentinel}/followers/${agent?.userId}`)).status).toBe(200);
    expect((await api("POST", `/v1/contacts/${sentinel}/comments`, { text: "sentinel" })).status).toBe(201);
    await until("the sentinel's notification", async () => {
      const notes = (await agentApi("GET", "/v1/notifications?limit=50")).body.data as any[];
      return notes.some((note) => note.contact_id === sentinel);
    });
  }

  /** Outbox and history agree: each entry of a contact's history has its event, in the same order. */
  async function expectEventsMatchHistory(db: Database, contactIds: number[]): Promise<number> {
    const activities = await db.query<{ contact_id: number; action: string; details: unknown }>(sql`
      SELECT contact_id, action, details FROM activities
      WHERE account_id = ${accountId} AND contact_id = ANY(${contactIds}::bigint[]) ORDER BY contact_id, id`);
    const events = await db.query<{ contact_id: number; type: string; data: unknown }>(sql`
      SELECT contact_id, type, data FROM events
      WHERE account_id = ${accountId} AND contact_id = ANY(${contactIds}::bigint[]) ORDER BY contact_id, id`);
    expect(events.map((e) => [e.contact_id, e.type, e.data])).toEqual(
      activities.map((a) => [a.contact_id, a.action, a.details]),
    );
    return events.length;
  }

  const burstContacts = async (db: Database) =>
    (
      await db.query<{ id: number }>(sql`
        SELECT id FROM contacts WHERE account_id = ${accountId} AND email LIKE 'burst-%'`)
    ).map((row) => row.id);

  /** Sends one step of a burst contact; every POST carries an Idempotency-Key, so it can be retried. */
  function send(url: string, t: Tracked, index: number): Promise<Answer> {
    const api = httpClient(url, basicAuth(admin));
    const step = STEPS[index] as Step;
    const key = { "idempotency-key": `crash-${t.key}-step-${index}` };
    switch (step.kind) {
      case "create": {
        const body = { name: nameOf(t, 0), email: t.email, custom_attributes: { origin: t.key }, labels: ["burst"] };
        return api("POST", "/v1/contacts", body, key);
      }
      case "comment":
        return api("POST", `/v1/contacts/${t.id}/comments`, { text: commentText(t, step.n) }, key);
      case "update":
        return api("PATCH", `/v1/contacts/${t.id}`, { name: nameOf(t, step.n), custom_attributes: { step: step.n } });
      case "label":
        return api("POST", `/v1/contacts/${t.id}/labels`, { labels: [`step-${step.n}`] }, key);
      case "file": {
        const file = { data: fileData(t), filename: `${t.key}.txt`, contentType: "text/plain" };
        return upload(`${url}/v1/contacts/${t.id}/files`, basicAuth(admin), file, { headers: key });
      }
    }
  }
  const SUCCESS = { create: 201, comment: 201, update: 200, label: 200, file: 201 } as const;

  /**
   * Checks a burst contact through the API: it is exactly as after its first `applied` steps, with
   * `applied` one of `allowed` (read from its history), and the acknowledged comments and files
   * are the ones answered. Returns `applied` (0: the contact does not exist).
   */
  async function checkContact(url: string, t: Tracked, allowed: number[]): Promise<number> {
    const api = httpClient(url, basicAuth(admin));
    let id = t.id;
    if (id === undefined) {
      const found = await api("GET", `/v1/contacts/lookup?email=${encodeURIComponent(t.email)}`);
      expect([200, 404], t.key).toContain(found.status);
      if (found.status === 404) {
        expect(allowed, `${t.key} does not exist`).toContain(0);
        return 0;
      }
      id = found.body.id as string;
    }
    const contact = await api("GET", `/v1/contacts/${id}`);
    expect(contact.status, t.key).toBe(200);
    const history = ((await api("GET", `/v1/contacts/${id}/activities?limit=100`)).body.data as any[]).reverse();
    const applied = history.length;
    expect(allowed, `${t.key}: steps in its history`).toContain(applied);
    const want = expectedAfter(t, applied);
    expect(
      history.map((entry) => entry.action),
      t.key,
    ).toEqual(want.actions);
    expect(contact.body, t.key).toMatchObject({
      id,
      name: want.name,
      email: t.email,
      custom_attributes: want.attributes,
    });
    expect(sorted(contact.body.labels), t.key).toEqual(want.labels);
    const comments = ((await api("GET", `/v1/contacts/${id}/comments?limit=100`)).body.data as any[]).reverse();
    expect(
      comments.map((comment) => comment.text),
      t.key,
    ).toEqual(want.comments);
    expect(comments.slice(0, t.comments.length).map((comment) => comment.id)).toEqual(t.comments);
    expect(
      history.filter((entry) => entry.action === "comment.created").map((entry) => entry.details.comment_id),
      t.key,
    ).toEqual(comments.map((comment) => comment.id));
    const files = ((await api("GET", `/v1/contacts/${id}/files?limit=100`)).body.data as any[]).reverse();
    expect(files, t.key).toHaveLength(want.files);
    expect(files.slice(0, t.files.length).map((file) => file.id)).toEqual(t.files);
    expect(
      history.filter((entry) => entry.action === "file.added").map((entry) => entry.details.file_id),
      t.key,
    ).toEqual(files.map((file) => file.id));
    for (const file of files) {
      const bytes = await fetch(`${url}/v1/contacts/${id}/files/${file.id}/download`, {
        headers: { authorization: basicAuth(admin) },
      });
      expect(bytes.status, t.key).toBe(200);
      expect(Buffer.from(await bytes.arrayBuffer()).toString()).toBe(fileData(t));
    }
    return applied;
  }

  /** The burst, the restarted server and what the kill left, for the retry test. */
  let burst: { tracked: Tracked[]; server: Started & { log(): string }; states: Map<string, string> } | undefined;

  it("keeps every acknowledged write of a burst, and nothing half-written of those cut off", async () => {
    const first = await launch();
    await account(first);
    const tracked: Tracked[] = [];
    let acks = 0;
    let killedAt = Number.POSITIVE_INFINITY;
    const unexpected: string[] = [];

    /** One client: contact after contact, step after step, until a request gets no answer. */
    const client = async (c: number) => {
      for (let index = 0; ; index++) {
        const key = `${c}-${index}`;
        const t: Tracked = {
          key,
          email: `burst-${key}@crash.test`,
          id: undefined,
          acked: 0,
          inFlight: false,
          comments: [],
          files: [],
        };
        tracked.push(t);
        for (const [i, step] of STEPS.entries()) {
          let answer: Answer;
          try {
            answer = await send(first.url, t, i);
          } catch (error) {
            if (Date.now() < killedAt) unexpected.push(`${key} ${step.kind}: ${error} before the kill`);
            t.inFlight = true;
            return;
          }
          if (answer.status !== SUCCESS[step.kind]) {
            unexpected.push(`${key} ${step.kind}: ${answer.status} ${JSON.stringify(answer.body)}`);
            return;
          }
          if (step.kind === "create") t.id = answer.body.id;
          if (step.kind === "comment") t.comments.push(answer.body.id);
          if (step.kind === "file") t.files.push(answer.body.id);
          t.acked++;
          acks++;
        }
      }
    };

    // The kill lands after a random number of acknowledged writes, and a random moment later.
    const target = randomInt(80, 320);
    const jitter = randomInt(0, 25);
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    await until("the burst to get going", () => acks >= target || unexpected.length > 0);
    await sleep(jitter);
    killedAt = Date.now();
    const ackedAtKill = acks;
    await killHard(first);
    running.splice(running.indexOf(first), 1);
    await Promise.all(clients);
    expect(unexpected).toEqual([]);
    await settle();
    const inFlight = tracked.filter((t) => t.inFlight);
    console.log(
      `[crash] burst: killed after ${ackedAtKill} acknowledged writes (target ${target}, +${jitter} ms); ` +
        `${acks} acknowledged in all, ${inFlight.length} requests cut off, ${tracked.length} contacts`,
    );
    expect(inFlight.length).toBeGreaterThan(0);

    // Straight after the crash, in the database: the outbox matches the history, every file row
    // has its bytes, and what became of each cut-off request.
    const crash = await withDatabase(async (db) => {
      const contacts = await burstContacts(db);
      const events = await expectEventsMatchHistory(db, contacts);
      const files = await db.query<{ storage_key: string; sha256: string }>(sql`
        SELECT storage_key, sha256 FROM files WHERE account_id = ${accountId}`);
      for (const file of files) {
        const path = join(filesDir(), "blobs", ...file.storage_key.split("/"));
        expect(existsSync(path), `the bytes of ${file.storage_key}`).toBe(true);
        expect(sha256(await readFile(path))).toBe(file.sha256);
      }
      const kept = new Set(files.map((f) => f.storage_key));
      const orphans = (await filesUnder(join(filesDir(), "blobs", "files"))).filter(
        (path) => !kept.has(`files/${path}`),
      );
      const staged = await filesUnder(join(filesDir(), "tmp"));
      // Each cut-off request: its Idempotency-Key unknown, claimed only, answered, or its write
      // committed with no response stored for the key (which a retry must still not repeat).
      const states = new Map<string, string>();
      for (const t of inFlight) {
        const [contact] = await db.query<{ id: number }>(sql`
          SELECT id FROM contacts WHERE account_id = ${accountId} AND email = ${t.email}`);
        const [history] = await db.query<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM activities
          WHERE account_id = ${accountId} AND contact_id = ${contact?.id ?? 0} AND conversation_id IS NULL`);
        const written = (history?.n ?? 0) > t.acked;
        const step = STEPS[t.acked] as Step;
        const [key] = await db.query<{ status_code: number | null; applied: boolean }>(sql`
          SELECT status_code, applied_at IS NOT NULL AS applied FROM idempotency_keys
          WHERE account_id = ${accountId} AND key = ${`crash-${t.key}-step-${t.acked}`}`);
        // The key was marked in the write's own transaction: both happened or neither.
        if (key && step.kind !== "update") expect(key.applied, `${t.key}'s key marked as its write`).toBe(written);
        const state =
          step.kind === "update"
            ? `PATCH, ${written ? "written" : "not written"}`
            : !key
              ? "key unknown"
              : key.status_code !== null
                ? "answered"
                : written
                  ? "written, response not stored"
                  : "claimed, not written";
        states.set(t.key, `${step.kind}: ${state}`);
      }
      // A client retries after the in-progress window (a minute): let that time pass.
      await db.execute(sql`
        UPDATE idempotency_keys SET created_at = created_at - interval '2 minutes'
        WHERE account_id = ${accountId} AND status_code IS NULL`);
      // For the test after next (it acts only on keys starting "hold-").
      await db.exec(HOLD_TRIGGER);
      return { contacts: contacts.length, events, files: files.length, orphans, staged, states };
    });
    const counts = [...crash.states.values()].reduce<Record<string, number>>((all, state) => {
      all[state] = (all[state] ?? 0) + 1;
      return all;
    }, {});
    console.log(
      `[crash] burst, after the kill: ${crash.contacts} contacts, ${crash.events} events matching history, ` +
        `${crash.files} file rows with their bytes; bytes with no row: ${crash.orphans.length}, ` +
        `staged uploads left: ${crash.staged.length}; cut-off requests: ${JSON.stringify(counts)}`,
    );

    // A new process on the same storage: every contact as acknowledged, or one step further.
    const second = await launch();
    let checkedWrites = 0;
    let appliedCutOff = 0;
    for (const t of tracked) {
      const applied = await checkContact(second.url, t, t.inFlight ? [t.acked, t.acked + 1] : [t.acked]);
      checkedWrites += t.acked;
      if (applied > t.acked) appliedCutOff++;
    }
    console.log(
      `[crash] burst: ${checkedWrites} acknowledged writes found as acknowledged, ` +
        `${appliedCutOff} of ${inFlight.length} cut-off writes applied whole, the others not at all`,
    );
    burst = { tracked, server: second, states: crash.states };
    handedOn = second;
  });

  it("applies each write cut off by the kill exactly once when it is retried (POSTs with their Idempotency-Key)", async () => {
    if (!burst) throw new Error("no burst was cut short (see the test before)");
    const { tracked, server, states } = burst;
    const wrong: string[] = [];
    let answersLost = 0;
    for (const t of tracked.filter((t) => t.inFlight)) {
      const step = STEPS[t.acked] as Step;
      // The same request again: a POST with the same key, after the in-progress minute.
      const retry = await send(server.url, t, t.acked);
      const problem = (what: string) =>
        wrong.push(
          `${t.key} ${step.kind} (at the kill: ${states.get(t.key)}): ${what}; the retry answered ${retry.status}` +
            `${retry.headers.get("idempotent-replayed") === "true" ? " (replayed)" : ""} ${JSON.stringify(retry.body).slice(0, 200)}`,
        );
      // A write that committed but whose answer was never stored is not run again: 409 says so.
      const lost = states.get(t.key)?.endsWith("written, response not stored") === true;
      const expected = lost ? 409 : SUCCESS[step.kind];
      if (retry.status !== expected || (lost && retry.body?.error?.code !== "idempotency_answer_lost")) {
        problem(`answered ${retry.status}, not ${expected}`);
        continue;
      }
      const api = httpClient(server.url, basicAuth(admin));
      if (lost) answersLost++;
      if (step.kind === "create") {
        t.id = lost
          ? (await api("GET", `/v1/contacts/lookup?email=${encodeURIComponent(t.email)}`)).body.id
          : retry.body.id;
      }
      const history = (await api("GET", `/v1/contacts/${t.id}/activities?limit=100`)).body.data as any[];
      if (history.length !== t.acked + 1) {
        problem(`${history.length - t.acked} entries in its history for it (${history[0]?.action})`);
        continue;
      }
      await checkContact(server.url, t, [t.acked + 1]);
    }
    const counts = [...states.values()].reduce<Record<string, number>>((all, state) => {
      all[state] = (all[state] ?? 0) + 1;
      return all;
    }, {});
    console.log(
      `[crash] retries of the ${states.size} cut-off requests (${JSON.stringify(counts)}): ${wrong.length} wrong, ` +
        `${answersLost} answered 409 idempotency_answer_lost (written, answer not stored)` +
        wrong.map((line) => `\n  ${line}`).join(""),
    );

    // Every event, from before the crash and after, gets dispatched (checked in the database
    // once this server is gone, in the next test).
    await awaitDispatch(server);
    expect(wrong, "cut-off requests retried after the crash").toEqual([]);
  });

  // Claiming an Idempotency-Key, the write and storing its answer are three transactions; the
  // write marks the key applied in its own, so a retry after the answer was lost is refused.
  it("never runs again a POST whose process died between its commit and storing its Idempotency-Key answer", async () => {
    // The burst's restarted server, or a new one, on a database with the hold trigger.
    let server = burst?.server;
    if (!server || handedOn !== server) {
      await withDatabase((db) => db.exec(HOLD_TRIGGER));
      server = await launch();
    }
    handedOn = undefined;
    const { api } = await account(server);
    const contact = (await api("POST", "/v1/contacts", { name: "Held", email: "held@crash.test" })).body.id as string;
    const text = "A comment whose answer was never stored";
    const headers = { "idempotency-key": "hold-comment" };
    let answered = false;
    const first = api("POST", `/v1/contacts/${contact}/comments`, { text }, headers).then(
      () => {
        answered = true;
      },
      () => {},
    );
    if (database.url) {
      await withDatabase((db) =>
        until("the answer's statement to be held", async () => {
          const [row] = await db.query<{ n: number }>(sql`
            SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event = 'PgSleep'`);
          return row?.n === 1;
        }),
      );
    } else {
      // PGlite runs in the server's thread: held, the process answers nothing at all, not even
      // its health check.
      await until("the answer's statement to be held", async () => {
        try {
          await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
          return false;
        } catch {
          return true;
        }
      });
    }
    expect(answered).toBe(false);
    await killHard(server);
    running.splice(running.indexOf(server), 1);
    await first;
    if (database.url) {
      // What the dead process had sent is still running on PostgreSQL: end it, as the process did.
      await withDatabase((db) =>
        db.query(sql`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`),
      );
    }
    await settle();
    await withDatabase(async (db) => {
      if (burst) {
        // The burst's outbox, after both kills and the retries: each history entry with its event,
        // all dispatched by the server just killed (which waited for it).
        const ids = await burstContacts(db);
        const events = await expectEventsMatchHistory(db, ids);
        const [undispatched] = await db.query<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM events
          WHERE account_id = ${accountId} AND contact_id = ANY(${ids}::bigint[]) AND dispatched_at IS NULL`);
        expect(undispatched?.n, "the burst's undispatched events").toBe(0);
        console.log(`[crash] burst: ${events} events, each with its history entry, all dispatched`);
      }
      // The window was hit: the comment is there, its key holds no answer.
      const [written] = await db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM comments WHERE account_id = ${accountId} AND text = ${text}`);
      const [key] = await db.query<{ status_code: number | null; applied: boolean }>(sql`
        SELECT status_code, applied_at IS NOT NULL AS applied FROM idempotency_keys
        WHERE account_id = ${accountId} AND key = 'hold-comment'`);
      expect({ written: written?.n, stored: key?.status_code, applied: key?.applied }).toEqual({
        written: 1,
        stored: null,
        applied: true,
      });
      await db.exec("DROP TRIGGER crash_test_hold ON idempotency_keys; DROP FUNCTION crash_test_hold();");
      // The client retries after the in-progress minute: let it pass.
      await db.execute(sql`
        UPDATE idempotency_keys SET created_at = created_at - interval '2 minutes'
        WHERE account_id = ${accountId} AND key = 'hold-comment'`);
    });

    const next = await launch();
    const again = httpClient(next.url, basicAuth(admin));
    handedOn = next;
    const retry = await again("POST", `/v1/contacts/${contact}/comments`, { text }, headers);
    const comments = ((await again("GET", `/v1/contacts/${contact}/comments`)).body.data as any[]).filter(
      (comment) => comment.text === text,
    );
    const history = ((await again("GET", `/v1/contacts/${contact}/activities`)).body.data as any[]).filter(
      (entry) => entry.action === "comment.created",
    );
    console.log(
      `[crash] held answer: the retry answered ${retry.status}` +
        `${retry.headers.get("idempotent-replayed") === "true" ? " (replayed)" : ""}; ` +
        `${comments.length} comment(s), ${history.length} comment.created entries`,
    );
    expect({ status: retry.status, code: retry.body?.error?.code }).toEqual({
      status: 409,
      code: "idempotency_answer_lost",
    });
    expect(
      comments.map((comment) => comment.id),
      "the comment, written once though retried with its Idempotency-Key",
    ).toHaveLength(1);
    expect(history).toHaveLength(1);
  });

  it("merges each pair whole or not at all, whenever the process dies, and loses no record", async () => {
    const server = handedOn ?? (await launch());
    handedOn = undefined;
    const { api } = await account(server);
    const auth = basicAuth(admin);
    const inbox = (await api("POST", "/v1/inboxes", { name: "Crash chat", channel_type: "web" })).body.id;

    const created = async (answer: Promise<Answer>, status = 201) => {
      const { status: got, body } = await answer;
      expect(got, JSON.stringify(body)).toBe(status);
      return body;
    };
    const snapshot = async (target: Api, id: string): Promise<Records> => {
      const read = async (path: string) => {
        const answer = await target("GET", path);
        expect(answer.status, path).toBe(200);
        return answer.body;
      };
      const contact = await read(`/v1/contacts/${id}`);
      return {
        conversations: sorted((await read(`/v1/contacts/${id}/conversations?limit=100`)).data.map((c: any) => c.id)),
        comments: sorted((await read(`/v1/contacts/${id}/comments?limit=100`)).data.map((c: any) => c.id)),
        files: (await read(`/v1/contacts/${id}/files?limit=100`)).data
          .map((f: any) => ({ id: f.id, sha256: f.sha256 }))
          .sort((a: any, b: any) => Number(a.id) - Number(b.id)),
        labels: sorted(contact.labels),
        followers: sorted((await read(`/v1/contacts/${id}/followers`)).data.map((f: any) => f.user.id)),
        history: (await read(`/v1/contacts/${id}/activities?limit=200`)).data.length,
      };
    };

    // Pairs whose both sides have conversations, comments, files, labels and followers.
    const pairs: Pair[] = [];
    const setUp = async (n: number) => {
      const base = (
        await created(
          api("POST", "/v1/contacts", {
            name: `Base ${n}`,
            email: `base-${n}@merge.test`,
            labels: [`pair-${n}`, "kept"],
            custom_attributes: { side: "base" },
          }),
        )
      ).id;
      const mergee = (
        await created(
          api("POST", "/v1/contacts", {
            name: `Mergee ${n}`,
            email: `mergee-${n}@merge.test`,
            identifier: `mergee-${n}`,
            labels: [`pair-${n}`, `only-${n}`],
            custom_attributes: { side: "mergee", seats: n },
            inbox_id: inbox,
            source_id: `visitor-${n}`,
          }),
        )
      ).id;
      for (const [id, conversations, comments] of [
        [base, 1, 1],
        [mergee, 2, 2],
      ] as const) {
        for (let i = 0; i < conversations; i++) {
          await created(api("POST", "/v1/conversations", { contact_id: id, inbox_id: inbox }));
        }
        for (let i = 0; i < comments; i++) {
          await created(api("POST", `/v1/contacts/${id}/comments`, { text: `Note ${i} on ${id}` }));
        }
        const file = await upload(`${server.url}/v1/contacts/${id}/files`, auth, {
          data: `bytes of ${id}`,
          filename: `${id}.txt`,
          contentType: "text/plain",
        });
        expect(file.status).toBe(201);
      }
      await created(api("PUT", `/v1/contacts/${mergee}/followers/${agent?.userId}`), 200);
      if (n % 2 === 0) await created(api("PUT", `/v1/contacts/${base}/followers/${agent?.userId}`), 200);
      pairs.push({ n, base, mergee, before: { base: await snapshot(api, base), mergee: await snapshot(api, mergee) } });
    };
    for (let n = 0; n < PAIRS; n += 4) await Promise.all([0, 1, 2, 3].map((i) => setUp(n + i)));
    pairs.sort((a, b) => a.n - b.n);
    const totals = (records: Records[]) => ({
      conversations: records.reduce((sum, r) => sum + r.conversations.length, 0),
      comments: records.reduce((sum, r) => sum + r.comments.length, 0),
      files: records.reduce((sum, r) => sum + r.files.length, 0),
    });
    const setUpTotals = totals(pairs.flatMap((p) => [p.before.base, p.before.mergee]));
    expect(setUpTotals).toEqual({ conversations: 3 * PAIRS, comments: 3 * PAIRS, files: 2 * PAIRS });

    // Rounds of concurrent merges, each ended by a kill at a different kind of moment.
    const rounds: Array<{ how: string; wait(answered: (count: number) => Promise<void>): Promise<void> }> = [
      { how: "right after sending", wait: () => sleep(randomInt(0, 10)) },
      { how: "on the first answer", wait: (answered) => answered(1) },
      {
        how: "once half were answered",
        wait: async (answered) => {
          await answered(ROUND / 2);
          await sleep(randomInt(0, 5));
        },
      },
    ];
    let current = server;
    for (const [r, round] of rounds.entries()) {
      if (r > 0) current = await launch();
      const target = httpClient(current.url, auth);
      const group = pairs.slice(r * ROUND, (r + 1) * ROUND);
      let answered = 0;
      const waiting: Array<{ count: number; resolve(): void }> = [];
      const bodies = new Map<number, any>();
      const merges = group.map(async (pair) => {
        try {
          const answer = await target("POST", "/v1/contacts/merge", {
            base_contact_id: pair.base,
            mergee_contact_id: pair.mergee,
          });
          pair.answer = answer.status;
          bodies.set(pair.n, answer.body);
        } catch {
          // No answer: the kill came first.
        }
        answered++;
        for (const w of waiting) if (answered >= w.count) w.resolve();
      });
      await round.wait(
        (count) =>
          new Promise<void>((resolve) => {
            if (answered >= count) resolve();
            else waiting.push({ count, resolve });
          }),
      );
      const answeredAtKill = group.filter((p) => p.answer !== undefined).length;
      await kill(current);
      await Promise.all(merges);
      console.log(
        `[crash] merges, round ${r + 1}: killed ${round.how}, ${answeredAtKill} of ${group.length} answered ` +
          `(${group.filter((p) => p.answer !== undefined).length} in the end)`,
      );
      for (const pair of group.filter((p) => p.answer !== undefined)) {
        expect(pair.answer, JSON.stringify(bodies.get(pair.n))).toBe(200);
        expect(bodies.get(pair.n)).toMatchObject({
          merged_contact_id: pair.mergee,
          moved: { conversations: 2, contact_inboxes: 1, comments: 2, files: 1 },
        });
      }
    }

    // After the crashes: each pair merged whole (acknowledged ones always) or untouched.
    const last = await launch();
    const next = httpClient(last.url, auth);
    const survivors: Records[] = [];
    let merged = 0;
    let labelLinks = 0;
    for (const pair of pairs) {
      const { base, mergee } = pair.before;
      const gone = await next("GET", `/v1/contacts/${pair.mergee}`);
      if (gone.status === 410) {
        merged++;
        expect(gone.body.error).toMatchObject({ code: "contact_merged", merged_into: pair.base });
        expect((await next("GET", `/v1/contacts/${pair.mergee}/comments`)).status).toBe(410);
        const now = await snapshot(next, pair.base);
        expect(now, `pair ${pair.n}, merged`).toEqual({
          conversations: sorted([...base.conversations, ...mergee.conversations]),
          comments: sorted([...base.comments, ...mergee.comments]),
          files: [...base.files, ...mergee.files].sort((a, b) => Number(a.id) - Number(b.id)),
          labels: sorted([...new Set([...base.labels, ...mergee.labels])]),
          followers: sorted([...new Set([...base.followers, ...mergee.followers])]),
          history: base.history + mergee.history + 2,
        });
        const contact = (await next("GET", `/v1/contacts/${pair.base}?include_contact_inboxes=true`)).body;
        expect(contact).toMatchObject({
          name: `Base ${pair.n}`,
          email: `base-${pair.n}@merge.test`,
          identifier: `mergee-${pair.n}`,
          custom_attributes: { side: "base", seats: pair.n },
        });
        expect(contact.contact_inboxes.map((ci: any) => ci.source_id)).toEqual([`visitor-${pair.n}`]);
        const history = (await next("GET", `/v1/contacts/${pair.base}/activities?limit=200`)).body.data as any[];
        expect(history.filter((entry) => entry.action === "contact.merged")).toHaveLength(1);
        expect(history.filter((entry) => entry.action === "contact.merged_into")).toHaveLength(1);
        survivors.push(now);
      } else {
        expect(gone.status, `pair ${pair.n}: the mergee is neither there nor merged`).toBe(200);
        expect(pair.answer, `pair ${pair.n}: acknowledged but not merged`).toBeUndefined();
        const nowBase = await snapshot(next, pair.base);
        const nowMergee = await snapshot(next, pair.mergee);
        expect(nowBase, `pair ${pair.n}, base untouched`).toEqual(base);
        expect(nowMergee, `pair ${pair.n}, mergee untouched`).toEqual(mergee);
        expect(gone.body).toMatchObject({ name: `Mergee ${pair.n}`, email: `mergee-${pair.n}@merge.test` });
        survivors.push(nowBase, nowMergee);
      }
      const owned = [
        ...base.files.map((file) => ({ file, owner: pair.base })),
        ...mergee.files.map((file) => ({ file, owner: gone.status === 410 ? pair.base : pair.mergee })),
      ];
      for (const { file, owner } of owned) {
        const bytes = await fetch(`${last.url}/v1/contacts/${owner}/files/${file.id}/download`, {
          headers: { authorization: auth },
        });
        expect(bytes.status, `pair ${pair.n}: file ${file.id}`).toBe(200);
        expect(sha256(Buffer.from(await bytes.arrayBuffer()))).toBe(file.sha256);
      }
    }
    // Nothing lost or duplicated over all pairs: the same records, labels joined per merge.
    expect(totals(survivors)).toEqual(setUpTotals);
    labelLinks = survivors.reduce((sum, r) => sum + r.labels.length, 0);
    expect(labelLinks).toBe(merged * 3 + (PAIRS - merged) * 4);
    const unanswered = pairs.filter((p) => p.answer === undefined).length - (PAIRS - merged);
    console.log(
      `[crash] merges: ${merged} of ${PAIRS} pairs merged by the killed processes (${unanswered} of them ` +
        `never answered), the rest untouched`,
    );

    // The untouched pairs merge now as if nothing had happened.
    for (const pair of pairs.filter((p) => p.answer === undefined)) {
      const answer = await next("POST", "/v1/contacts/merge", {
        base_contact_id: pair.base,
        mergee_contact_id: pair.mergee,
      });
      if (answer.status === 404) {
        // Merged by a killed process whose answer was lost: the mergee is gone already.
        expect((await next("GET", `/v1/contacts/${pair.mergee}`)).status).toBe(410);
        continue;
      }
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.moved).toMatchObject({ conversations: 2, contact_inboxes: 1, comments: 2, files: 1 });
    }
    const final = await Promise.all(pairs.map((pair) => snapshot(next, pair.base)));
    expect(totals(final)).toEqual(setUpTotals);
    expect(final.reduce((sum, r) => sum + r.labels.length, 0)).toBe(3 * PAIRS);
    await awaitDispatch(last);
    await stopGracefully(last);

    // In the database: one merge record and one contact.merged event per pair, nothing left on a mergee.
    await withDatabase(async (db) => {
      const bases = pairs.map((p) => Number(p.base));
      const mergees = pairs.map((p) => Number(p.mergee));
      const merges = await db.query<{ merged_id: number; into_id: number }>(sql`
        SELECT merged_id, into_id FROM contact_merges
        WHERE account_id = ${accountId} AND merged_id = ANY(${mergees}::bigint[]) ORDER BY merged_id`);
      expect(merges).toEqual(
        pairs
          .map((p) => ({ merged_id: Number(p.mergee), into_id: Number(p.base) }))
          .sort((a, b) => a.merged_id - b.merged_id),
      );
      const events = await db.query<{ contact_id: number; n: number }>(sql`
        SELECT contact_id, count(*)::int AS n FROM events
        WHERE account_id = ${accountId} AND type = 'contact.merged' AND contact_id = ANY(${bases}::bigint[])
        GROUP BY contact_id ORDER BY contact_id`);
      expect(events).toEqual(bases.sort((a, b) => a - b).map((id) => ({ contact_id: id, n: 1 })));
      for (const table of [
        "contacts",
        "conversations",
        "contact_inboxes",
        "comments",
        "files",
        "activities",
        "contact_labels",
        "contact_followers",
      ]) {
        const column = table === "contacts" ? "id" : "contact_id";
        const [left] = await db.query<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM ${sql.raw(table)}
          WHERE account_id = ${accountId} AND ${sql.raw(column)} = ANY(${mergees}::bigint[])`);
        expect(left?.n, `${table} rows left on merged-away contacts`).toBe(0);
      }
      const [undispatched] = await db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM events WHERE account_id = ${accountId} AND dispatched_at IS NULL`);
      expect(undispatched?.n).toBe(0);
    });
  });

  it("finishes an export cut short by the kill once the lease runs out, with one file and one event", async () => {
    const server = await launch();
    const { api } = await account(server);
    const options = { columns: ["name", "email", "labels"] };
    const queued = await api("POST", "/v1/exports", options);
    expect(queued.status).toBe(202);
    const id = queued.body.id as string;
    const jitter = randomInt(0, 30);
    await sleep(jitter);
    await kill(server);

    const cut = await withDatabase(async (db) => {
      const [job] = await db.query<{ status: string; attempts: number }>(sql`
        SELECT status, attempts FROM export_jobs WHERE account_id = ${accountId} AND id = ${Number(id)}`);
      // The lease is two minutes: let it run out now, as time would.
      await db.execute(sql`
        UPDATE export_jobs SET locked_until = now() - interval '1 second'
        WHERE account_id = ${accountId} AND id = ${Number(id)} AND status = 'running'`);
      return job;
    });
    console.log(`[crash] export: killed ${jitter} ms after it was queued, found ${JSON.stringify(cut)}`);
    expect(["queued", "running", "succeeded"]).toContain(cut?.status);

    const next = await launch();
    const again = httpClient(next.url, basicAuth(admin));
    let job: any;
    await until("the export to finish", async () => {
      job = (await again("GET", `/v1/exports/${id}`)).body;
      return job.status === "succeeded" || job.status === "failed";
    });
    expect(job).toMatchObject({ status: "succeeded", error: null });
    const file = await fetch(`${next.url}${job.download_path}`, { headers: { authorization: basicAuth(admin) } });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(job.byte_size);
    const streamed = await fetch(`${next.url}/v1/contacts/export.csv?columns=name,email,labels`, {
      headers: { authorization: basicAuth(admin) },
    });
    expect(bytes.equals(Buffer.from(await streamed.arrayBuffer()))).toBe(true);
    await awaitDispatch(next);
    await stopGracefully(next);

    const done = await withDatabase(async (db) => {
      const [row] = await db.query<{ attempts: number; blob_key: string }>(sql`
        SELECT attempts, blob_key FROM export_jobs WHERE account_id = ${accountId} AND id = ${Number(id)}`);
      const events = await db.query<{ type: string }>(sql`
        SELECT type FROM events WHERE account_id = ${accountId} AND data->>'export_id' = ${id} ORDER BY id`);
      return { attempts: row?.attempts, blobKey: row?.blob_key, events: events.map((e) => e.type) };
    });
    expect(done.events).toEqual(["export.ready"]);
    expect(done.attempts).toBe(cut?.status === "running" ? 2 : 1);
    const exportFiles = await filesUnder(join(filesDir(), "blobs", "exports"));
    expect(exportFiles).toContain(done.blobKey?.replace(/^exports\//, ""));
    console.log(`[crash] export: ${done.attempts} attempt(s); export files on disk: ${exportFiles.length}`);
  });
});
