import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { openPglite } from "../src/store/pglite.js";
import { freshDatabase } from "./harness.js";

/** The built server as separate processes, the way `npm start` runs it. */

export const serverDir = fileURLToPath(new URL("..", import.meta.url));
export const main = join(serverDir, "dist", "main.js");

export interface Started {
  child: ChildProcess;
  url: string;
  output: string;
}

export const cliMain = join(serverDir, "dist", "cli", "main.js");

/** Starts the built server as `npm start` does (or `args`, e.g. `contactd start`) and waits until it listens. */
export function start(env: Record<string, string | undefined>, args: string[] = [main]): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        DATABASE_URL: undefined,
        HOST: "127.0.0.1",
        PORT: "0",
        CONTACTD_LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
      if (match?.[1]) {
        clearTimeout(timer);
        const url = match[1];
        // Everything the process has written so far, also after it started.
        resolve({
          child,
          url,
          get output() {
            return output;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

export function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners("exit");
    started.child.once("exit", (code) => resolve(code));
    started.child.kill("SIGTERM");
  });
}

/** SIGKILL: no shutdown handler runs; transactions, batches and responses in flight are cut off wherever they are. */
export function killHard(started: Started): Promise<void> {
  return new Promise((resolve) => {
    const { child } = started;
    child.removeAllListeners("exit");
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** Compiles the server so dist/main.js matches the sources under test. */
export function buildServer(): void {
  execFileSync(process.execPath, [join(serverDir, "../../node_modules/typescript/bin/tsc"), "-b", serverDir]);
}

/**
 * Storage for server processes a test starts and kills: the server built, a data directory, and a
 * fresh database on PostgreSQL. On PGlite the data directory starts as a copy of the migrated
 * template rather than running initdb, which takes most of a minute on a busy machine.
 */
export async function processStorage(
  prefix: string,
): Promise<{ dataDir: string; database: Awaited<ReturnType<typeof freshDatabase>> }> {
  buildServer();
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const database = await freshDatabase();
  const template = inject("pgliteTemplate");
  if (!database.url && template) {
    await (await openPglite(join(dataDir, "db"), { template: new Blob([await readFile(template)]) })).close();
  }
  return { dataDir, database };
}

/** Waits until `done` holds, checking every 25 ms; fails naming `what` after `ms`. */
export async function until(what: string, done: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const by = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > by) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
