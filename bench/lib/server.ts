import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { log, ROOT, sleep } from "./util.js";

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), 0);
}

/** Builds the server when its dist is missing or older than its sources; returns dist/main.js. */
export function ensureBuilt(): string {
  const main = join(ROOT, "packages/server/dist/main.js");
  const sources = Math.max(
    newestMtime(join(ROOT, "packages/server/src")),
    newestMtime(join(ROOT, "packages/server/migrations")),
  );
  // tsc -b rewrites only the files that changed, so compare with the newest file of dist.
  if (!existsSync(main) || newestMtime(join(ROOT, "packages/server/dist")) < sources) {
    log("building the server (npm run build)…");
    execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  }
  return main;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface Server {
  child: ChildProcess;
  pid: number;
  base: string;
  logFile: string;
}

/** Starts a server process on 127.0.0.1 and waits until `readyPath` answers 2xx. */
export async function startProcess(options: {
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  readyPath: string;
  readyHeaders?: Record<string, string>;
  logFile: string;
  cwd: string;
}): Promise<Server> {
  const out = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  if (child.pid === undefined) throw new Error("the server did not start");
  const base = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}); see ${options.logFile}`);
    try {
      const response = await fetch(`${base}${options.readyPath}`, { headers: options.readyHeaders ?? {} });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer within 120 s; see ${options.logFile}`);
    await sleep(200);
  }
  return { child, pid: child.pid, base, logFile: options.logFile };
}

export interface ProductOptions {
  main: string;
  workDir: string;
  /** PostgreSQL; left out, the server runs PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  admin: { key: string; secret: string };
  /** CONTACTD_LOG_LEVEL; left out, the server's own default. */
  logLevel?: string;
  logFile?: string;
}

export const basicAuth = (credential: { key: string; secret: string }) =>
  `Basic ${Buffer.from(`${credential.key}:${credential.secret}`).toString("base64")}`;

/**
 * Node's flags in the server package's start script (`node --flag … dist/main.js`), so that the
 * product runs as it is started in production.
 */
export function productNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, "packages/server/package.json"), "utf8")) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? "").trim().split(/\s+/);
  if (words[0] !== "node") return [];
  return words.slice(1).filter((word) => word.startsWith("--"));
}

/** The built product server (dist/main.js) as a child process, with the start script's Node flags. */
export async function startServer(options: ProductOptions): Promise<Server> {
  const port = await freePort();
  const { DATABASE_URL: _url, CONTACTD_LOG_LEVEL: _level, ...env } = process.env;
  return startProcess({
    args: [...productNodeFlags(), options.main],
    cwd: options.workDir,
    env: {
      ...env,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      HOST: "127.0.0.1",
      PORT: String(port),
      CONTACTD_ADMIN_KEY: options.admin.key,
      CONTACTD_ADMIN_SECRET: options.admin.secret,
      ...(options.logLevel ? { CONTACTD_LOG_LEVEL: options.logLevel } : {}),
      CONTACTD_DATA_DIR: options.dataDir,
      // The load comes from one credential: a limit it cannot reach keeps the limiter's cost in.
      CONTACTD_RATE_LIMIT: "100000000",
    },
    port,
    readyPath: "/v1/contacts?limit=1",
    readyHeaders: { authorization: basicAuth(options.admin) },
    logFile: options.logFile ?? join(options.workDir, "server.log"),
  });
}

export async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
