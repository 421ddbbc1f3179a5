import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Actor } from "../core/actor.js";
import type { ContactImport } from "../core/imports/import.js";
import type { Core } from "../core/index.js";
import type { ExportRequest, ImportRequest, ImportState, Target } from "./target.js";

/** The database itself, through the core, acting as the account's first administrator. */
export class DirectTarget implements Target {
  constructor(
    readonly name: string,
    private readonly core: Core,
    private readonly actor: Actor,
    private readonly close_: () => Promise<void>,
  ) {}

  async startImport(request: ImportRequest): Promise<ImportState> {
    await stat(request.path);
    const fields: Record<string, string> = { dry_run: String(request.dryRun) };
    if (request.match) fields.match = request.match;
    if (request.unknownColumns) fields.unknown_columns = request.unknownColumns;
    const job = await this.core.imports.start(this.actor, {
      file: { stream: createReadStream(request.path), filename: request.fileName },
      fields: async () => fields,
    });
    return toState(job);
  }

  async importState(id: string): Promise<ImportState> {
    return toState(await this.core.imports.get(this.actor, Number(id)));
  }

  /** Claims due imports as any worker would; a server on the same database may take them first. */
  async runImports(): Promise<void> {
    await this.core.imports.runDue({ accountId: this.actor.accountId });
  }

  async exportTotal(request: ExportRequest): Promise<number | null> {
    if (request.q) return null;
    const page = await this.core.contacts.list(this.actor, { limit: 1, labels: request.labels, withTotal: true });
    return page.total ?? null;
  }

  async *exportCsv(request: ExportRequest): AsyncIterable<Uint8Array> {
    yield* await this.core.exports.contactsCsv(this.actor, request);
  }

  close(): Promise<void> {
    return this.close_();
  }
}

function toState(job: ContactImport): ImportState {
  return {
    id: String(job.id),
    status: job.status,
    totalRows: job.totalRows,
    processedRows: job.processedRows,
    created: job.created,
    updated: job.updated,
    skipped: job.skipped,
    failed: job.failed,
    error: job.error,
  };
}
