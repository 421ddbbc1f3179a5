import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const started = performance.now();
/** Progress on stderr, with the seconds since the start. */
export const log = (message: string) =>
  process.stderr.write(`[bench ${Math.round((performance.now() - started) / 1000)} s] ${message}\n`);
export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
export const fmt = (n: number) => n.toLocaleString("en-US");

/** A name for throwaway databases and folders: the UTC time to the second. */
export function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:T.Z]/g, "")
    .slice(0, 14);
}
