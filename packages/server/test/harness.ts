import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, inject } from "vitest";
import { buildApp } from "../src/app.js";
import { type BackgroundWork, startBackgroundWork } from "../src/background.js";
import { createAccount } from "../src/core/accounts/create.js";
import { type CoreSettings, DEFAULT_SETTINGS } from "../src/core/deps.js";
import { type Core, createCore } from "../src/core/index.js";
import type { Lifecycle } from "../src/faces/operations/index.js";
import { Metrics } from "../src/metrics.js";
import { type BlobStore, LocalDiskBlobStore } from "../src/store/blobs.js";
import type { Database } from "../src/store/database.js";
import { migrate } from "../src/store/migrate.js";
import { openPglite } from "../src/store/pglite.js";
import { openPostgres } from "../src/store/postgres.js";

/**
 * Real parts for tests: PGlite in memory by default, the PostgreSQL server named by
 * DATABASE_URL when set, and the real HTTP app listening on 127.0.0.1. Tests share one database
 * per file and stay apart by working in accounts of their own.
 */
export const backend = process.env.DATABASE_URL ? "postgres" : "pglite";

export async function openTestDatabase(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  return migrated(url ? openPostgres(url, 5) : await openPglite(undefined, { template: await pgliteTemplate() }));
}

async function migrated(db: Database): Promise<Database> {
  await migrate(db);
  return db;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** A file holding a migrated PGlite database, to start each test file's copy from. */
    pgliteTemplate: string | undefined;
  }
}

/** The migrated database the global setup dumped, if any (see test/pglite-template.ts). */
async function pgliteTemplate(): Promise<Blob | undefined> {
  const file = inject("pgliteTemplate");
  return file ? new Blob([await readFile(file)]) : undefined;
}

/**
 * An empty database of its own, for tests about first starts: a new in-memory PGlite, or a new
 * throwaway database on the PostgreSQL server. `url` is set for PostgreSQL.
 */
export async function freshDatabase(): Promise<{
  url: string | undefined;
  open(): Promise<Database>;
  drop(): Promise<void>;
}> {
  const url = process.env.DATABASE_URL;
  if (!url) return { url: undefined, open: () => openPglite(undefined), drop: async () => {} };
  const name = `contactd_fresh_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = openPostgres(url, 1);
  await admin.exec(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    open: async () => openPostgres(target.toString(), 5),
    async drop() {
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export interface Credentials {
  accountId: number;
  userId: number;
  keyId: number;
  key: string;
  secret: string;
  token: string;
}

let accounts = 0;

/** A fresh account with its administrator's credentials. */
export async function newAccount(db: Database, name = `test-${process.pid}-${++accounts}`): Promise<Credentials> {
  const created = await db.transaction((tx) => createAccount(tx, { name }));
  return {
    accountId: created.account.id,
    userId: created.administrator.id,
    keyId: created.apiKey.id,
    key: created.apiKey.key,
    secret: created.apiKey.secret,
    token: created.apiKey.token,
  };
}

export interface TestServer {
  url: string;
  db: Database;
  blobs: LocalDiskBlobStore;
  core: Core;
  app: FastifyInstance;
  background: BackgroundWork | undefined;
  metrics: Metrics;
  close(): Promise<void>;
}

const blobDirectories = new Set<string>();
// Registered once per test file (each file loads this module afresh): stores are made in hooks
// and tests, which cannot register an afterAll of their own.
afterAll(async () => {
  for (const directory of blobDirectories) await rm(directory, { recursive: true, force: true });
  blobDirectories.clear();
});

/** A blob store in a new temporary directory: real files on disk, removed after the file's tests. */
export async function tempBlobStore(): Promise<LocalDiskBlobStore> {
  const directory = await mkdtemp(join(tmpdir(), "contactd-blobs-"));
  blobDirectories.add(directory);
  return new LocalDiskBlobStore(directory);
}

export function testCore(db: Database, blobs: BlobStore, settings: Partial<CoreSettings> = {}): Core {
  return createCore({ db, blobs, settings: { ...DEFAULT_SETTINGS, ...settings } });
}

export async function startServer(
  options: {
    db?: Database;
    bodyLimit?: number;
    requestTimeout?: number;
    publicUrl?: string;
    /** Run the background dispatcher and webhook sender, as the real server does. */
    background?: boolean;
    /**
     * A database of its own on PostgreSQL too, for tests that dispatch every pending event or
     * compare whole tables, which other test files on the shared database would disturb.
     */
    isolated?: boolean;
    /** Shutting down: /readyz turns traffic away while `draining` is set. */
    lifecycle?: Lifecycle;
  } & Partial<CoreSettings> = {},
): Promise<TestServer> {
  const {
    db: givenDb,
    bodyLimit,
    requestTimeout,
    publicUrl,
    background: withBackground,
    isolated,
    lifecycle,
    ...settings
  } = options;
  // On the shared PostgreSQL database, a server doing background work would also take other test
  // files' events and deliveries (processes share that work by design): it gets a database of its own.
  const own = (withBackground || isolated) && !givenDb && backend === "postgres" ? await freshDatabase() : null;
  const db = givenDb ?? (own ? await migrated(await own.open()) : await openTestDatabase());
  const blobs = await tempBlobStore();
  const core = testCore(db, blobs, settings);
  const metrics = new Metrics(core);
  const app = await buildApp({ core, logLevel: "silent", bodyLimit, requestTimeout, publicUrl, metrics, lifecycle });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  // Events and webhooks only: imports and exports read the blob store of the server that took
  // them, and test servers each have their own, so tests run those jobs themselves.
  const background = withBackground
    ? await startBackgroundWork(core, console, { kinds: ["events", "webhooks"], metrics })
    : undefined;
  return {
    url: address,
    db,
    blobs,
    core,
    app,
    background,
    metrics,
    async close() {
      await background?.stop();
      await app.close();
      await core.close();
      if (!givenDb) await db.close();
      await own?.drop();
      await rm(blobs.root, { recursive: true, force: true });
    },
  };
}

export function basicAuth(credentials: { key: string; secret: string }): string {
  return `Basic ${Buffer.from(`${credentials.key}:${credentials.secret}`).toString("base64")}`;
}

/** A small fetch wrapper for tests: JSON in, status + parsed JSON out. */
export function httpClient(baseUrl: string, authorization?: string) {
  return async function request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, headers: response.headers };
  };
}

/** An agent (non-administrator) user of the same account, with credentials. */
export async function newAgent(server: TestServer, admin: Credentials): Promise<Credentials> {
  const actor = {
    accountId: admin.accountId,
    userId: admin.userId,
    role: "administrator" as const,
    credentialId: admin.keyId,
  };
  const user = await server.core.auth.createUser(actor, { name: "Agent", role: "agent" });
  const key = await server.core.auth.createApiKey(actor, { userId: user.id, name: "agent key" });
  return {
    accountId: admin.accountId,
    userId: user.id,
    keyId: key.id,
    key: key.key,
    secret: key.secret,
    token: key.token,
  };
}

export interface ServerFixture {
  server: TestServer;
  /** The administrator of a fresh account. */
  admin: Credentials;
  /** An HTTP client authenticated as `admin`. */
  api: ReturnType<typeof httpClient>;
  /** An agent (not an administrator) of the same account, and a client for it. */
  agent: Credentials;
  agentApi: ReturnType<typeof httpClient>;
}

/**
 * The usual set-up of an API test file: a server, a fresh account, and clients for its
 * administrator and for an agent, started before the file's tests and closed after them. Fields are filled in
 * by the time tests run.
 */
export function useServer(options: Parameters<typeof startServer>[0] = {}): ServerFixture {
  const fixture = {} as ServerFixture;
  beforeAll(async () => {
    fixture.server = await startServer(options);
    fixture.admin = await newAccount(fixture.server.db);
    fixture.api = httpClient(fixture.server.url, basicAuth(fixture.admin));
    fixture.agent = await newAgent(fixture.server, fixture.admin);
    fixture.agentApi = httpClient(fixture.server.url, basicAuth(fixture.agent));
  });
  afterAll(() => fixture.server.close());
  return fixture;
}
