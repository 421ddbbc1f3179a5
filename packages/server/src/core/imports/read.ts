import { Readable } from "node:stream";
import { findImport, importRowsAfter, listImports } from "../../store/imports.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { csvRow } from "../exports/csv.js";
import { type ContactImport, toImport } from "./import.js";

const REPORT_PAGE = 1000;

export async function getImport(deps: CoreDeps, actor: Actor, id: number): Promise<ContactImport> {
  const row = await findImport(deps.db, actor.accountId, id);
  if (!row) throw new NotFoundError("import");
  return toImport(row);
}

/** The account's imports, newest first. */
export async function listAccountImports(
  deps: CoreDeps,
  actor: Actor,
  input: { limit?: number; skip?: number },
): Promise<{ data: ContactImport[]; hasMore: boolean }> {
  const limit = checkLimit(input.limit);
  const rows = await listImports(deps.db, actor.accountId, { limit: limit + 1, skip: input.skip ?? 0 });
  return { data: rows.slice(0, limit).map(toImport), hasMore: rows.length > limit };
}

/**
 * The rows an import skipped or failed, as CSV: row number, result, reason code and message, then
 * the row's original cells under the file's own header. Read from the database page by page, and
 * written as exports are (csvRow), so a cell a spreadsheet would run as a formula comes back as text.
 */
export async function failedRowsCsv(
  deps: CoreDeps,
  actor: Actor,
  id: number,
): Promise<{ job: ContactImport; stream: Readable }> {
  const row = await findImport(deps.db, actor.accountId, id);
  if (!row) throw new NotFoundError("import");
  const header = row.header ?? [];
  async function* lines() {
    yield csvRow(["row", "result", "reason", "message", ...header]);
    let after = 0;
    for (;;) {
      const page = await importRowsAfter(deps.db, actor.accountId, id, after, REPORT_PAGE);
      for (const entry of page) yield csvRow([entry.row, entry.result, entry.reason, entry.message, ...entry.cells]);
      if (page.length < REPORT_PAGE) return;
      after = (page[page.length - 1] as { row: number }).row;
    }
  }
  return { job: toImport(row), stream: Readable.from(lines()) };
}
