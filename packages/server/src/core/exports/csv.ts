/** CSV text per RFC 4180, made safe to open in spreadsheet programs. */

/** A cell's value: text is escaped against formulas, numbers and booleans are written as they are. */
export type Cell = string | number | boolean | null | undefined;

export const CRLF = "\r\n";

/** Prepended when asked for: Excel only reads a CSV file as UTF-8 when it starts with one. */
export const UTF8_BOM = "\uFEFF";

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * An E.164 phone number (the shape the store enforces). A sign followed by digits only is a number
 * to Excel, Sheets and LibreOffice, never a formula, so these stay readable instead of gaining a
 * quote mark.
 */
const E164 = /^\+[1-9][0-9]{1,14}$/;

/**
 * Text a spreadsheet would run as a formula gets a leading single quote (OWASP's advice for
 * CSV injection), so `=HYPERLINK(...)` or `@SUM(...)` shows as text instead of executing.
 */
export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) && !E164.test(text) ? `'${text}` : text;
}

/** One field: quoted, with quotes doubled, when it holds a comma, quote, CR or LF. */
export function quoteField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function field(cell: Cell): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "string") return quoteField(escapeFormula(cell));
  // A number's own text (even -1 or 1e+21) is a number to a spreadsheet, not a formula.
  return String(cell);
}

/** One record with its CRLF terminator. */
export function csvRow(cells: readonly Cell[]): string {
  return cells.map(field).join(",") + CRLF;
}
