import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, freshDatabase } from "./harness.js";
import { buildServer, main, start, stop, until } from "./processes.js";
import { openSse } from "./sse-reader.js";

// Each test starts real server processes, a PGlite one taking seconds to open on a busy machine.
describe("the server process", { timeout: 240_000 }, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    buildServer();
    dataDir = await mkdtemp(join(tmpdir(), "contactd-"));
    database = await freshDatabase();
  }, 120_000);
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await database.drop();
  });

  const storage = () => ({
    CONTACTD_DATA_DIR: join(dataDir, "db"),
    CONTACTD_FILES_DIR: join(dataDir, "files"),
    DATABASE_URL: database.url,
  });

  it("creates the scripted administrator on first start and keeps data across a restart", async () => {
    const admin = { key: "ck_process_admin", secret: "process-secret-0123456789" };
    const env = { ...storage(), CONTACTD_ADMIN_KEY: admin.key, CONTACTD_ADMIN_SECRET: admin.secret };
    const first = await start(env);
    try {
      expect(first.output).toContain("Created account");
      expect(first.output).not.toContain(admin.secret);
      const created = await fetch(`${first.url}/v1/contacts`, {
        method: "POST",
        headers: { authorization: basicAuth(admin), "content-type": "application/json" },
        body: JSON.stringify({ name: "Survives restart" }),
      });
      expect(created.status).toBe(201);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    // An upload a killed process left staged two hours ago: the next start sweeps it away.
    const staged = join(dataDir, "files", "tmp", "0123456789abcdef0123456789abcdef");
    await mkdir(join(dataDir, "files", "tmp"), { recursive: true });
    await writeFile(staged, "half an upload");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(staged, twoHoursAgo, twoHoursAgo);
    const second = await start(env);
    try {
      await until("the staged upload to be swept at start-up", async () => !existsSync(staged));
      expect(second.output).not.toContain("Created account");
      const list = await fetch(`${second.url}/v1/contacts`, { headers: { authorization: basicAuth(admin) } });
      const body = (await list.json()) as { data: Array<{ name: string }> };
      expect(body.data.map((c) => c.name)).toEqual(["Survives restart"]);
    } finally {
      await stop(second);
    }
  });

  it("prints a generated key and secret once on an empty database", async () => {
    const fresh = await freshDatabase();
    const started = await start({ CONTACTD_DATA_DIR: join(dataDir, "generated"), DATABASE_URL: fresh.url });
    try {
      const key = started.output.match(/key: +(ck_\S+)/)?.[1];
      const secret = started.output.match(/secret: +(\S+)/)?.[1];
      expect(key && secret).toBeTruthy();
      const me = await fetch(`${started.url}/v1/me`, {
        headers: { authorization: basicAuth({ key: key!, secret: secret! }) },
      });
      expect(me.status).toBe(200);
    } finally {
      await stop(started);
      await fresh.drop();
    }
  });

  it("refuses to start with an invalid setting, naming it", () => {
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, [main], { env: { ...process.env, PORT: "not-a-port" }, stdio: "pipe" });
    } catch (error) {
      failure = error as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr.toString()).toContain("PORT");
  });

  /**
   * A POST whose body arrives in two parts, `pause` apart. `received` resolves once the server has
   * the request (its 100 Continue), so it is in flight; `answered` to the answer's status.
   */
  function slowPost(
    url: string,
    admin: { key: string; secret: string },
    pause: Promise<unknown>,
  ): { received: Promise<void>; answered: Promise<number> } {
    const body = JSON.stringify({ name: "Sent slowly" });
    const request = httpRequest(`${url}/v1/contacts`, {
      method: "POST",
      headers: {
        authorization: basicAuth(admin),
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        expect: "100-continue",
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
    });
    const received = new Promise<void>((resolve) => {
      request.on("continue", () => {
        request.write(body.slice(0, 8));
        resolve();
      });
    });
    request.flushHeaders();
    void received.then(() => pause).then(() => request.end(body.slice(8)));
    return { received, answered };
  }

  it("shuts down on SIGTERM: stops accepting, answers what is in flight, ends live streams, exits 0", async () => {
    const admin = { key: "ck_process_admin", secret: "process-secret-0123456789" };
    const env = { ...storage(), CONTACTD_ADMIN_KEY: admin.key, CONTACTD_ADMIN_SECRET: admin.secret };
    const server = await start(env);
    const stream = await openSse(`${server.url}/v1/notifications/stream`, { authorization: basicAuth(admin) });
    expect(stream.status).toBe(200);
    let finishBody: (value?: unknown) => void = () => {};
    const inFlight = slowPost(server.url, admin, new Promise((resolve) => (finishBody = resolve)));
    await inFlight.received;
    const exited = stop(server);
    await until("the process to stop listening", async () =>
      fetch(`${server.url}/healthz`).then(
        () => false,
        () => true,
      ),
    );
    finishBody();
    expect(await inFlight.answered, "the request in flight at SIGTERM").toBe(201);
    expect(await exited).toBe(0);
    await until("the live stream to end", () => stream.ended, 5000);
    expect(server.output).toContain("shutting down");
  });

  it("exits with status 1 when what is in flight outlasts CONTACTD_SHUTDOWN_TIMEOUT_MS", async () => {
    const admin = { key: "ck_process_admin", secret: "process-secret-0123456789" };
    const env = {
      ...storage(),
      CONTACTD_ADMIN_KEY: admin.key,
      CONTACTD_ADMIN_SECRET: admin.secret,
      CONTACTD_SHUTDOWN_TIMEOUT_MS: "1000",
    };
    const server = await start(env);
    // A body that never finishes: the request is still in flight when the timeout comes.
    const stalledPost = slowPost(server.url, admin, new Promise(() => {}));
    const stalled = stalledPost.answered.catch(() => 0);
    await stalledPost.received;
    const began = Date.now();
    expect(await stop(server)).toBe(1);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(server.output).toContain("shutdown timed out");
    expect(await stalled).toBe(0);
  });
});
