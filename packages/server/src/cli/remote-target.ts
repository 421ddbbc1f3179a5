import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { CliError, type ExportRequest, type ImportRequest, type ImportState, type Target } from "./target.js";

const BOUNDARY = "----contactd-cli-7d1c4b2a9e";

/** A running contactd server, through its API (/v1), with a `key.secret` token. */
export class RemoteTarget implements Target {
  readonly name: string;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {
    this.name = baseUrl;
  }

  async startImport(request: ImportRequest): Promise<ImportState> {
    await stat(request.path);
    const fields: Record<string, string> = { dry_run: String(request.dryRun) };
    if (request.match) fields.match = request.match;
    if (request.unknownColumns) fields.unknown_columns = request.unknownColumns;
    const response = await this.fetch("/v1/imports", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: Readable.toWeb(Readable.from(multipart(fields, request))) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    return toState(await this.json(response));
  }

  async importState(id: string): Promise<ImportState> {
    return toState(await this.json(await this.fetch(`/v1/imports/${encodeURIComponent(id)}`)));
  }

  async exportTotal(): Promise<number | null> {
    return null;
  }

  async *exportCsv(request: ExportRequest): AsyncIterable<Uint8Array> {
    const query = new URLSearchParams();
    if (request.columns?.length) query.set("columns", request.columns.join(","));
    if (request.labels?.length) query.set("labels", request.labels.join(","));
    if (request.q) query.set("q", request.q);
    const response = await this.fetch(`/v1/contacts/export.csv?${query}`);
    if (!response.ok) await this.json(response);
    yield* response.body as unknown as AsyncIterable<Uint8Array>;
  }

  async close(): Promise<void> {}

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { authorization: `Bearer ${this.token}`, ...(init.headers as Record<string, string>) };
    try {
      return await fetch(new URL(path, this.baseUrl), { ...init, headers });
    } catch (error) {
      throw new CliError(`cannot reach ${this.baseUrl}: ${(error as Error).cause ?? (error as Error).message}`);
    }
  }

  /** The body of a success; the server's own message for a refusal. */
  private async json(response: Response): Promise<Record<string, unknown>> {
    const body = (await response.json().catch(() => null)) as Record<string, any> | null;
    if (response.ok && body) return body;
    const error = body?.error;
    const details = Array.isArray(error?.details)
      ? ` (${error.details.map((d: any) => `${d.field} ${d.message}`).join("; ")})`
      : "";
    throw new CliError(`${this.baseUrl} answered ${response.status}: ${error?.message ?? "no message"}${details}`);
  }
}

async function* multipart(fields: Record<string, string>, request: ImportRequest): AsyncIterable<Buffer> {
  for (const [name, value] of Object.entries(fields)) {
    yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  const fileName = request.fileName.replace(/["\r\n]/g, "_");
  yield Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  yield* createReadStream(request.path);
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

function toState(body: Record<string, any>): ImportState {
  return {
    id: String(body.id),
    status: body.status,
    totalRows: body.total_rows,
    processedRows: body.processed_rows,
    created: body.created,
    updated: body.updated,
    skipped: body.skipped,
    failed: body.failed,
    error: body.error ?? null,
  };
}
