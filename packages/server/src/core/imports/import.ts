import type { ImportRow, ImportStatus } from "../../store/imports.js";
import type { ImportOptions } from "./options.js";

/** A CSV import job as the core hands it out. */
export interface ContactImport {
  accountId: number;
  id: number;
  /** Who started it (null once that user is deleted is not tracked: the id is kept). */
  userId: number | null;
  status: ImportStatus;
  dryRun: boolean;
  options: Omit<ImportOptions, "dryRun">;
  fileName: string;
  byteSize: number;
  /** Data rows in the file (known once the worker has read it through), and rows done so far. */
  totalRows: number;
  processedRows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error: { code: string; message: string } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export function toImport(row: ImportRow): ContactImport {
  const options = row.options as Partial<ImportOptions>;
  return {
    accountId: row.account_id,
    id: row.id,
    userId: row.user_id,
    status: row.status,
    dryRun: row.dry_run,
    options: { unknownColumns: options.unknownColumns ?? "ignore", match: options.match ?? [] },
    fileName: row.file_name,
    byteSize: Number(row.byte_size),
    totalRows: row.total_rows,
    processedRows: row.processed_rows,
    created: row.created_count,
    updated: row.updated_count,
    skipped: row.skipped_count,
    failed: row.failed_count,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error ?? "" },
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
