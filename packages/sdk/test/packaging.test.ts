import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, startServer, type TestServer } from "../../server/test/harness.js";

/**
 * The built package as users load it: `require` through the CJS build and `import` through the
 * ESM build, each resolved by bare name through the exports map, in a child Node process that
 * talks to a real contactd server.
 */

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const rootDir = fileURLToPath(new URL("../../..", import.meta.url));

let server: TestServer;
let admin: Credentials;
let scratch: string;

beforeAll(async () => {
  server = await startServer();
  admin = await newAccount(server.db);
  await run("npm", ["run", "build", "--workspace", "@contactd/sdk"], { cwd: rootDir, timeout: 180_000 });
  // A consumer project of its own whose node_modules holds the package, so resolution goes
  // through package.json "exports" exactly as it would after an install.
  scratch = mkdtempSync(join(tmpdir(), "contactd-sdk-consumer-"));
  mkdirSync(join(scratch, "node_modules", "@contactd"), { recursive: true });
  symlinkSync(sdkDir, join(scratch, "node_modules", "@contactd", "sdk"), "dir");
}, 200_000);

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await server?.close();
});

const PROBE = `
  const client = new Contactd({ baseUrl: process.env.CONTACTD_URL, token: process.env.CONTACTD_TOKEN, maxRetries: 0 });
  const me = await client.me();
  let notFound = null;
  try {
    await client.contacts.get("999999999");
  } catch (error) {
    notFound = { isNotFoundError: error instanceof NotFoundError, name: error.name, status: error.status };
  }
  console.log(JSON.stringify({
    contactd: typeof Contactd,
    notFoundError: typeof NotFoundError,
    defaultIsContactd: defaultExport === Contactd,
    organization: me.organization.id,
    notFound,
    resolved,
  }));
`;

const CJS = `
const sdk = require("@contactd/sdk");
const { Contactd, NotFoundError } = sdk;
const defaultExport = sdk.default;
const resolved = require.resolve("@contactd/sdk");
(async () => {${PROBE}})().catch((error) => { console.error(error); process.exit(1); });
`;

const ESM = `
import defaultExport, { Contactd, NotFoundError } from "@contactd/sdk";
const resolved = import.meta.resolve("@contactd/sdk");
${PROBE}
`;

async function probe(file: string, source: string) {
  const path = join(scratch, file);
  writeFileSync(path, source);
  const { stdout } = await run(process.execPath, [path], {
    cwd: scratch,
    timeout: 30_000,
    env: { ...process.env, CONTACTD_URL: server.url, CONTACTD_TOKEN: admin.token },
  });
  return JSON.parse(stdout.trim());
}

describe("package build", () => {
  it("writes ESM and CJS builds with types, and marks the CJS folder as commonjs", () => {
    for (const file of ["esm/index.js", "esm/index.d.ts", "cjs/index.js", "cjs/index.d.ts", "cjs/errors.js"]) {
      expect(existsSync(join(sdkDir, "dist", file)), file).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(sdkDir, "dist/cjs/package.json"), "utf8"))).toEqual({ type: "commonjs" });
    expect(readFileSync(join(sdkDir, "dist/cjs/index.js"), "utf8")).toMatch(/require\("\.\/contactd\.js"\)/);
    expect(readFileSync(join(sdkDir, "dist/esm/index.js"), "utf8")).toMatch(/from "\.\/contactd\.js"/);
  });

  it("require() from a .cjs file loads the CJS build and works against the server", async () => {
    const result = await probe("probe.cjs", CJS);
    expect(result).toEqual({
      contactd: "function",
      notFoundError: "function",
      defaultIsContactd: true,
      organization: String(admin.accountId),
      notFound: { isNotFoundError: true, name: "NotFoundError", status: 404 },
      resolved: join(sdkDir, "dist/cjs/index.js"),
    });
  });

  it("import from a .mjs file loads the ESM build and works against the server", async () => {
    const result = await probe("probe.mjs", ESM);
    expect(result).toEqual({
      contactd: "function",
      notFoundError: "function",
      defaultIsContactd: true,
      organization: String(admin.accountId),
      notFound: { isNotFoundError: true, name: "NotFoundError", status: 404 },
      resolved: pathToFileURL(join(sdkDir, "dist/esm/index.js")).href,
    });
  });

  it("types resolve through the exports map for ESM and CJS TypeScript consumers", async () => {
    const consumer = (header: string) => `${header}
const client = new Contactd({ baseUrl: "http://127.0.0.1:1", token: "key.secret", maxRetries: 0 });
export async function check(): Promise<string | undefined> {
  const page: Page<Contact> = await client.contacts.list({ limit: 1, sort: "name", labels: ["vip"] });
  const labels: string[] = await client.contacts.labels.add(1, ["vip"]);
  // @ts-expect-error: lookup takes exactly one field
  await client.contacts.lookup({ email: "a@example.com", identifier: "x" });
  // @ts-expect-error: ids are strings or numbers
  await client.contacts.get(true);
  const error: unknown = null;
  if (error instanceof NotFoundError) return error.requestId;
  return page.data[0]?.email ?? labels[0];
}
`;
    writeFileSync(
      join(scratch, "consumer.mts"),
      consumer('import Contactd, { type Contact, NotFoundError, type Page } from "@contactd/sdk";'),
    );
    writeFileSync(
      join(scratch, "consumer.cts"),
      consumer('import { Contactd, type Contact, NotFoundError, type Page } from "@contactd/sdk";'),
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ["consumer.mts", "consumer.cts"],
      }),
    );
    const tsc = join(rootDir, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", scratch, "--traceResolution"], {
      cwd: scratch,
      timeout: 60_000,
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toEqual([]);
    expect(result.stdout).toMatch(/'@contactd\/sdk' was successfully resolved to '[^']*dist\/esm\/index\.d\.ts'/);
    expect(result.stdout).toMatch(/'@contactd\/sdk' was successfully resolved to '[^']*dist\/cjs\/index\.d\.ts'/);
  });

  it("the source imports no Node built-ins, so the SDK runs in browsers", () => {
    const files = readdirSync(join(sdkDir, "src"), { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".ts"),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(sdkDir, "src", file), "utf8");
      expect(text, file).not.toMatch(/from\s+["'](node:|fs|path|http|https|crypto|buffer)["'/]/);
      expect(text, file).not.toMatch(/\b(Buffer|process|require)\s*[.(]/);
    }
  });
});
