import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built server as separate processes, the way `npm start` runs it. */

export const serverDir = fileURLToPath(new URL("..", import.meta.url));
export const main = join(serverDir, "dist", "main.js");

export interface Started {
  child: ChildProcess;
  url: string;
  output: string;
}

/** Starts the built server as `npm start` does and waits until it listens. */
export function start(env: Record<string, string | undefined>): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
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
        resolve({ child, url: match[1], output });
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

/** Compiles the server so dist/main.js matches the sources under test. */
export function buildServer(): void {
  execFileSync(process.execPath, [join(serverDir, "../../node_modules/typescript/bin/tsc"), "-b", serverDir]);
}
