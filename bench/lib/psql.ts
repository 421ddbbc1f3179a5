import { spawn } from "node:child_process";
import { once } from "node:events";

/** psql against one server (a postgres:// URL), for SQL the harness runs beside the product. */
export class Psql {
  constructor(readonly url: URL) {}

  private args(db: string): string[] {
    const { url } = this;
    return [
      "-X",
      "-q",
      "-At",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      url.hostname,
      "-p",
      url.port || "5432",
      "-U",
      decodeURIComponent(url.username) || "postgres",
      "-d",
      db,
    ];
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, ...(this.url.password ? { PGPASSWORD: decodeURIComponent(this.url.password) } : {}) };
  }

  /** A database URL on this server. */
  database(db: string): string {
    const url = new URL(this.url.href);
    url.pathname = `/${db}`;
    return url.href;
  }

  /** Runs SQL (or a psql meta-command) and returns its unaligned output. */
  run(db: string, command: string): Promise<string> {
    return this.spawn(db, ["-c", command], command);
  }

  /** Runs a file of SQL and psql meta-commands (several \copy, say) in one session. */
  runFile(db: string, file: string): Promise<string> {
    return this.spawn(db, ["-f", file], file);
  }

  private async spawn(db: string, extra: string[], what: string): Promise<string> {
    const child = spawn("psql", [...this.args(db), ...extra], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      out += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      err += text;
    });
    const [code] = (await once(child, "close")) as [number | null];
    if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}\n  for: ${what.slice(0, 300)}`);
    return out.trim();
  }

  /** Streams a query's COPY output to nowhere, counting bytes and lines as the HTTP export does. */
  async copyOut(db: string, command: string): Promise<{ bytes: number; lines: number }> {
    const child = spawn("psql", [...this.args(db), "-c", command], {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      err += text;
    });
    const counted = countLines(child.stdout);
    const [code] = (await once(child, "close")) as [number | null];
    if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}`);
    return counted;
  }

  /** The server's version and the settings that matter for these figures. */
  async settings(db: string): Promise<{ version: string; settings: Record<string, string> }> {
    const version = await this.run(db, "SHOW server_version");
    const rows = await this.run(
      db,
      "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'synchronous_commit', 'fsync', 'wal_level', 'work_mem', 'maintenance_work_mem', 'checkpoint_timeout', 'autovacuum', 'autovacuum_naptime', 'effective_cache_size', 'random_page_cost', 'max_connections', 'jit', 'plan_cache_mode') ORDER BY name",
    );
    return {
      version,
      settings: Object.fromEntries(rows.split("\n").map((line) => line.split("|") as [string, string])),
    };
  }
}

export async function countLines(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buffer.length;
    for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
  }
  return { bytes, lines };
}
