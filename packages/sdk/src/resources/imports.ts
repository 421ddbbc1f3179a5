import type { APIClient } from "../client.js";
import { ContactdError } from "../errors.js";
import type { PageParams } from "../linked-types.js";
import type { PagePromise } from "../pagination.js";
import type { ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";
import { type WaitParams, waitForJob } from "./jobs.js";
import { skipPaged } from "./paged.js";

/** A CSV import: a background job with exact counts; every row ends in exactly one of them. */
export interface ContactImport {
  object_name: "import";
  id: ID;
  status: "queued" | "running" | "succeeded" | "failed";
  dry_run: boolean;
  file_name: string | null;
  byte_size: number;
  unknown_columns: "ignore" | "custom_attributes";
  match: string[];
  started_by: ID;
  total_rows: number | null;
  processed_rows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error: { code: string; message: string } | string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ImportCreateParams {
  filename?: string;
  /** Run everything and report, writing nothing. */
  dry_run?: boolean;
  /** What to do with columns no field is known for (default "ignore"). */
  unknown_columns?: "ignore" | "custom_attributes";
  /** Keys existing contacts are matched by, in order (default identifier, email, phone). */
  match?: Array<"identifier" | "email" | "phone">;
}

/** Contact imports from CSV files (the seed's "file import" upload). */
export class Imports {
  constructor(private readonly client: APIClient) {}

  /** Uploads the CSV and queues the import; it runs in the background (see `wait`). */
  create(file: Blob, params: ImportCreateParams = {}, options?: RequestOptions): Promise<ContactImport> {
    if (typeof Blob === "undefined" || !(file instanceof Blob)) {
      throw new ContactdError("Expected the CSV file as a Blob or File");
    }
    const form = new FormData();
    if (params.dry_run !== undefined) form.append("dry_run", String(params.dry_run));
    if (params.unknown_columns !== undefined) form.append("unknown_columns", params.unknown_columns);
    if (params.match !== undefined) form.append("match", params.match.join(","));
    form.append("file", file, params.filename ?? "contacts.csv");
    return this.client.request({ method: "POST", path: "/imports", body: form, options });
  }

  async get(id: ID, options?: RequestOptions): Promise<ContactImport> {
    return this.client.request({ method: "GET", path: `/imports/${idPath(id)}`, options });
  }

  /** The account's imports, newest first. */
  list(params: PageParams = {}, options?: RequestOptions): PagePromise<ContactImport> {
    return skipPaged(this.client, () => "/imports", { limit: params.limit, skip: params.skip }, options);
  }

  /** The skipped and failed rows as CSV: row number, reason and the original cells. */
  async failedRowsCsv(id: ID, options?: RequestOptions): Promise<string> {
    const path = `/imports/${idPath(id)}/failed_rows.csv`;
    const bytes = await this.client.requestBytes({ method: "GET", path, options });
    return new TextDecoder().decode(bytes);
  }

  /** Polls until the import has succeeded or failed, and returns it. */
  wait(id: ID, params: WaitParams = {}): Promise<ContactImport> {
    return waitForJob("Import", id, (jobId, options) => this.get(jobId, options), params);
  }
}
