/** What the import and export commands need, from a running server or straight from the database. */
export interface Target {
  /** Where the work goes, for messages. */
  readonly name: string;
  startImport(request: ImportRequest): Promise<ImportState>;
  importState(id: string): Promise<ImportState>;
  /** Runs queued imports in this process (against the database; a server runs its own). */
  runImports?(): Promise<void>;
  /** How many contacts an export will write, when it can be known up front. */
  exportTotal(request: ExportRequest): Promise<number | null>;
  /** The file's bytes (UTF-8), as they come. */
  exportCsv(request: ExportRequest): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export interface ImportRequest {
  path: string;
  fileName: string;
  match?: string;
  unknownColumns?: string;
  dryRun: boolean;
}

export interface ImportState {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed";
  totalRows: number;
  processedRows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error: { code: string; message: string } | null;
}

export interface ExportRequest {
  columns?: string[];
  labels?: string[];
  q?: string;
}

export class CliError extends Error {
  override name = "CliError";
  /** 2: the command was used wrongly; 1: it failed. */
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
