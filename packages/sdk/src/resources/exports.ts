import type { APIClient } from "../client.js";
import type { PageParams } from "../linked-types.js";
import type { PagePromise } from "../pagination.js";
import type { ContactExportParams, ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";
import { type WaitParams, waitForJob } from "./jobs.js";
import { skipPaged } from "./paged.js";

/** A CSV export written in the background; downloadable once it has succeeded. */
export interface ContactExport {
  object_name: "export";
  id: ID;
  status: "queued" | "running" | "succeeded" | "failed";
  requested_by: ID;
  byte_size: number | null;
  error: string | null;
  /** Set once the file is ready. */
  download_path: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/**
 * Background CSV exports, for files too large to wait for. They take the same choices as
 * `contacts.exportCsv` and give the same bytes:
 * `await client.exports.downloadCsv((await client.exports.wait((await client.exports.create()).id)).id)`.
 */
export class Exports {
  constructor(private readonly client: APIClient) {}

  /** Queues the export; the requester is notified (`export_ready`) when it is written. */
  create(params: ContactExportParams = {}, options?: RequestOptions): Promise<ContactExport> {
    return this.client.request({ method: "POST", path: "/exports", body: params, options });
  }

  async get(id: ID, options?: RequestOptions): Promise<ContactExport> {
    return this.client.request({ method: "GET", path: `/exports/${idPath(id)}`, options });
  }

  /** Your exports (administrators: the account's), newest first. */
  list(params: PageParams = {}, options?: RequestOptions): PagePromise<ContactExport> {
    return skipPaged(this.client, () => "/exports", { limit: params.limit, skip: params.skip }, options);
  }

  /** Polls until the export has succeeded or failed, and returns it. */
  wait(id: ID, params: WaitParams = {}): Promise<ContactExport> {
    return waitForJob("Export", id, (jobId, options) => this.get(jobId, options), params);
  }

  /** A finished export's file as text (a BOM, when asked for, is kept). */
  async downloadCsv(id: ID, options?: RequestOptions): Promise<string> {
    const path = `/exports/${idPath(id)}/download`;
    const bytes = await this.client.requestBytes({ method: "GET", path, options });
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  }

  /** A finished export's file as a stream of bytes. */
  async downloadStream(id: ID, options?: RequestOptions): Promise<ReadableStream<Uint8Array>> {
    const path = `/exports/${idPath(id)}/download`;
    const response = await this.client.openStream({ method: "GET", path, options, accept: "text/csv" });
    return response.body ?? new ReadableStream({ start: (controller) => controller.close() });
  }
}
