import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvRecordCounter } from "../src/cli/csv-records.js";
import { duration, Progress } from "../src/cli/progress.js";
import { backend } from "./harness.js";
import { cliMain, processStorage, type Started, serverDir, start, stop } from "./processes.js";

/** The `contactd` command line, run as the built program against real storage and a real server. */

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

describe("the contactd command line", { timeout: 240_000 }, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof processStorage>>["database"];
  let env: Record<string, string | undefined>;
  let server: Started | undefined;

  beforeAll(async () => {
    ({ dataDir, database } = await processStorage("contactd-cli-"));
    env = {
      CONTACTD_DATA_DIR: join(dataDir, "db"),
      CONTACTD_FILES_DIR: join(dataDir, "files"),
      DATABASE_URL: database.url,
    };
    await mkdir(join(dataDir, "csv"), { recursive: true });
  }, 120_000);
  afterAll(async () => {
    if (server) await stop(server);
    await rm(dataDir, { recursive: true, force: true });
    await database.drop();
  });

  const contactd = (args: string[], extra: Record<string, string | undefined> = {}): Promise<Ran> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [cliMain, ...args],
        { env: { ...process.env, DATABASE_URL: undefined, ...env, ...extra }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const status = error ? Number((error as { code?: number }).code ?? 1) : 0;
          resolve({ status, stdout, stderr });
        },
      );
    });

  const csvFile = async (name: string, text: string) => {
    const path = join(dataDir, "csv", name);
    await writeFile(path, text);
    return path;
  };

  const people = (n: number, prefix: string) =>
    [
      "name,email,phone_number",
      ...Array.from({ length: n }, (_, i) => `${prefix} ${i},${prefix.toLowerCase()}-${i}@cli.test,`),
    ].join("\n");

  it("is installed as `contactd` by npm install (what `npx contactd` runs)", async () => {
    const linked = join(serverDir, "../../node_modules/.bin/contactd");
    const ran = await new Promise<Ran>((resolve) =>
      execFile(linked, ["--help"], (error, stdout, stderr) => resolve({ status: error ? 1 : 0, stdout, stderr })),
    );
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("Usage: contactd COMMAND");
  });

  it("prints help for itself and for every command, and refuses what it does not know", async () => {
    const overview = await contactd(["--help"]);
    expect(overview.status).toBe(0);
    const names = [
      "start",
      "migrate",
      "accounts create",
      "keys create",
      "keys list",
      "keys revoke",
      "import",
      "export",
    ];
    for (const name of names) expect(overview.stdout).toContain(name);
    for (const name of names) {
      const help = await contactd([...name.split(" "), "--help"]);
      expect(help.status, name).toBe(0);
      expect(help.stdout, name).toContain(`Usage: contactd ${name}`);
    }
    const group = await contactd(["keys", "--help"]);
    expect(group.status).toBe(0);
    expect(group.stdout).toContain("contactd keys revoke");
    const unknown = await contactd(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badOption = await contactd(["keys", "list", "--acount", "1"]);
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain("--acount");
    expect(badOption.stderr).toContain("Usage: contactd keys list");
  });

  let accountId = "";
  let adminToken = "";
  let agentKey: { id: string; token: string } = { id: "", token: "" };

  it("migrates, creates an account, and issues, lists and revokes keys", async () => {
    const first = await contactd(["migrate"]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/is up to date|Applied \d+ migration/);

    const created = await contactd(["accounts", "create", "--name", "Acme CLI", "--json"]);
    expect(created.status, created.stderr).toBe(0);
    const account = JSON.parse(created.stdout);
    expect(account).toMatchObject({ account: { name: "Acme CLI" }, api_key: { secret: expect.any(String) } });
    accountId = account.account.id;
    adminToken = account.api_key.token;

    const issued = await contactd([
      "keys",
      "create",
      "--account",
      accountId,
      "--role",
      "agent",
      "--name",
      "n8n",
      "--json",
    ]);
    expect(issued.status, issued.stderr).toBe(0);
    agentKey = JSON.parse(issued.stdout);
    expect(agentKey).toMatchObject({ role: "agent", name: "n8n", revoked_at: null });

    const listed = JSON.parse((await contactd(["keys", "list", "--account", accountId, "--json"])).stdout);
    expect(listed.map((key: { role: string }) => key.role).sort()).toEqual(["administrator", "agent"]);
    expect(JSON.stringify(listed)).not.toContain(account.api_key.secret);
    const table = await contactd(["keys", "list", "--account", accountId]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID +KEY +ROLE +USER +NAME +CREATED +REVOKED$/);

    const revoked = await contactd(["keys", "revoke", "--account", accountId, agentKey.id, "--json"]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: agentKey.id, revoked_at: expect.any(String) });
  });

  it("explains what is wrong with exit status 2 for misuse and 1 for failures", async () => {
    const noAccount = await contactd(["keys", "list", "--account", "999999"]);
    expect(noAccount.status).toBe(1);
    expect(noAccount.stderr).toContain("account 999999 does not exist");
    const neither = await contactd(["keys", "create", "--account", accountId]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain("either --user or --role");
    const missing = await contactd(["import", join(dataDir, "nope.csv"), "--account", accountId]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no such file");
    const badSetting = await contactd(["keys", "list", "--account", accountId], { CONTACTD_DB_POOL_SIZE: "zero" });
    expect(badSetting.status).toBe(2);
    expect(badSetting.stderr).toContain("CONTACTD_DB_POOL_SIZE");
  });

  it("imports against the database, with progress lines when not on a terminal, and exports it back", async () => {
    const path = await csvFile("direct.csv", `${people(1500, "Direct")}\nBroken,not-an-email,\n`);
    const imported = await contactd(["import", path, "--account", accountId]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stderr).toContain("1,501 rows");
    expect(imported.stderr).toContain("1,500 created, 0 updated, 0 skipped, 1 failed");
    expect(imported.stderr).toContain("failed_rows.csv");
    expect(imported.stderr).not.toContain("\r");

    const exported = await contactd(["export", "--account", accountId, "--columns", "name,email", "--labels", ""]);
    expect(exported.status, exported.stderr).toBe(0);
    const lines = exported.stdout.trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe("name,email");
    expect(lines.filter((line) => line.startsWith("Direct "))).toHaveLength(1500);
    expect(exported.stderr).toMatch(/Exported 1,500 contacts from .* in \d+s \([\d,]+ rows\/s\)\./);

    // A file that is no CSV at all: the import fails, and so does the command.
    const empty = await csvFile("empty.csv", "\n\n");
    const failed = await contactd(["import", empty, "--account", accountId]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/failed after 0 rows: .*header/);
  });

  it("starts the server with `contactd start`; imports and exports through it, which the database commands then leave alone", async () => {
    server = await start(env, [cliMain, "start"]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const remote = ["--url", server.url, "--token", adminToken];
    const path = await csvFile("remote.csv", people(800, "Remote"));
    const imported = await contactd(["import", path, ...remote]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stderr).toContain("800 created");
    const exported = await contactd(["export", ...remote, "--q", "remote"]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout.split(/\r?\n/).filter((line) => line.includes("Remote "))).toHaveLength(800);

    // The revoked key is refused by the server, and the command says so.
    const refused = await contactd(["export", "--url", server.url, "--token", agentKey.token]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("answered 401");

    // The embedded database belongs to the running server: the command line will not open it too.
    if (backend === "pglite") {
      const busy = await contactd(["keys", "list", "--account", accountId]);
      expect(busy.status).toBe(1);
      expect(busy.stderr).toMatch(/in use by process \d+ .*--url/);
    }
    const queued = await contactd(["import", path, ...remote, "--no-wait", "--dry-run"]);
    expect(queued.status, queued.stderr).toBe(0);
    expect(queued.stdout.trim()).toMatch(/^\d+$/);
    const job = await fetch(`${server.url}/v1/imports/${queued.stdout.trim()}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(job.status).toBe(200);
    await stop(server);
    server = undefined;
  });
});

describe("progress output", () => {
  const terminal = () => Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const read = (stream: PassThrough) => String(stream.read() ?? "");

  it("redraws one line with a bar, rate and time left on a terminal", () => {
    const out = terminal();
    const progress = new Progress("import", out);
    expect(progress.line(250, 1000, 10)).toBe(
      "import  [######------------------]  25%  250/1,000 rows  25 rows/s  ETA 30s",
    );
    progress.update(10, 100);
    progress.finish("Imported 100 rows.");
    const text = read(out);
    expect(text.startsWith("\r\x1b[2Kimport  [")).toBe(true);
    expect(text.endsWith("\r\x1b[2KImported 100 rows.\n")).toBe(true);
  });

  it("writes plain lines without a bar when not on a terminal, and no ETA without a total", () => {
    const out = new PassThrough();
    const progress = new Progress("export", out);
    expect(progress.line(5000, null, 2)).toBe("export  5,000 rows  2,500 rows/s");
    progress.update(1, null);
    expect(read(out)).toMatch(/^export {2}1 rows {2}\d[\d,]* rows\/s\n$/);
  });

  it("formats durations", () => {
    expect([duration(5), duration(75), duration(3725)]).toEqual(["5s", "1m 15s", "1h 02m"]);
  });

  it("counts CSV records, line breaks inside quoted fields included", () => {
    const counter = new CsvRecordCounter();
    for (const part of ['id,note\n1,"two\nlines"\n2,"a ""quoted', '"" word"\n3,plain\n'])
      counter.push(Buffer.from(part));
    expect(counter.records).toBe(4);
  });
});
