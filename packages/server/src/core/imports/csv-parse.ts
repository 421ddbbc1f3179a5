import { isUtf8 } from "node:buffer";

/** One CSV record and its number in the file (the header is row 1), counting embedded newlines as one row. */
export interface CsvRecord {
  row: number;
  cells: string[];
}

/** Why a file cannot be read as CSV, and on which row. */
export class CsvError extends Error {
  constructor(
    readonly code: "invalid_encoding" | "binary_data" | "malformed_csv",
    readonly row: number,
    message: string,
  ) {
    super(message);
  }
}

/** Past this, a record is refused: it is almost always a quote left open, and it would sit in memory. */
export const MAX_RECORD_CHARS = 1024 * 1024;

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the end of the field, or the first of a doubled quote. */
  QuoteInQuoted,
}

/**
 * A streaming RFC 4180 parser: text goes in piece by piece, finished records come out. Quoted
 * fields may hold commas, doubled quotes and line breaks; records end with CRLF, LF or CR. It is
 * lenient where nothing can be lost (a quote in the middle of an unquoted field is text), strict
 * where a guess could change a value (text after a closing quote is malformed_csv).
 */
export class CsvParser {
  /** The number of the record being read. */
  row = 1;
  private cells: string[] = [];
  private field = "";
  private state = State.FieldStart;
  private skipLf = false;
  private started = false;
  private recordChars = 0;

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    const n = text.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (this.state === State.Quoted) {
        const close = text.indexOf('"', i);
        const end = close < 0 ? n : close;
        this.append(text.slice(i, end));
        i = end;
        if (close >= 0) {
          this.state = State.QuoteInQuoted;
          i++;
        }
        continue;
      }
      if (this.state === State.FieldStart && c === QUOTE) {
        this.state = State.Quoted;
        i++;
        continue;
      }
      if (this.state === State.QuoteInQuoted && c === QUOTE) {
        this.append('"');
        this.state = State.Quoted;
        i++;
        continue;
      }
      if (this.state === State.QuoteInQuoted && c !== COMMA && c !== CR && c !== LF) {
        // `"abc"def`: the quote was most likely meant as text, so neither reading of the field is safe.
        const column = this.cells.length + 1;
        throw new CsvError(
          "malformed_csv",
          this.row,
          `Row ${this.row}, column ${column} has text after the closing quote of a quoted field (a quote inside a quoted field must be doubled)`,
        );
      }
      if (c === COMMA || c === CR || c === LF) {
        this.cells.push(this.field);
        this.field = "";
        this.state = State.FieldStart;
        if (c !== COMMA) {
          out.push({ row: this.row, cells: this.cells });
          this.cells = [];
          this.row++;
          this.recordChars = 0;
          this.skipLf = c === CR;
        }
        i++;
        continue;
      }
      // Unquoted text: take everything up to the next delimiter.
      this.state = State.Unquoted;
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === COMMA || d === CR || d === LF) break;
        j++;
      }
      this.append(text.slice(i, j));
      i = j;
    }
    return out;
  }

  /** The last record when the file does not end with a line break; an open quote is an error. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted) {
      throw new CsvError("malformed_csv", this.row, `Row ${this.row} opens a quoted field that is never closed`);
    }
    if (this.cells.length === 0 && this.field === "" && this.state === State.FieldStart) return [];
    this.cells.push(this.field);
    const record = { row: this.row, cells: this.cells };
    this.cells = [];
    this.field = "";
    this.state = State.FieldStart;
    this.row++;
    return [record];
  }

  private append(text: string): void {
    this.recordChars += text.length;
    if (this.recordChars > MAX_RECORD_CHARS) {
      throw new CsvError(
        "malformed_csv",
        this.row,
        `Row ${this.row} is longer than ${MAX_RECORD_CHARS} characters (is a quote left open?)`,
      );
    }
    this.field += text;
  }
}

/**
 * Records of a CSV file read as UTF-8 bytes, as they arrive. A leading BOM is skipped; a NUL
 * byte (binary data, or UTF-16 text) or invalid UTF-8 stops the reading with the row it is on.
 */
export async function* csvRecords(source: AsyncIterable<Buffer>): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const complete = completeLength(bytes);
    carry = Buffer.from(bytes.subarray(complete));
    const text = bytes.subarray(0, complete);
    const bad = firstBadByte(text);
    if (bad) {
      yield* parser.push(text.subarray(0, bad.offset).toString("utf8"));
      throw badByteError(bad.code, parser.row);
    }
    yield* parser.push(text.toString("utf8"));
  }
  if (carry.length > 0) {
    throw badByteError(carry.includes(0) ? "binary_data" : "invalid_encoding", parser.row);
  }
  yield* parser.end();
}

function badByteError(code: "binary_data" | "invalid_encoding", row: number): CsvError {
  return code === "binary_data"
    ? new CsvError(code, row, `Row ${row} holds a NUL byte: the file looks binary (or UTF-16), not CSV text`)
    : new CsvError(code, row, `Row ${row} is not valid UTF-8: save the file as "CSV UTF-8" and upload it again`);
}

/** The length of `bytes` without a multi-byte character cut off at its end (kept for the next chunk). */
function completeLength(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const byte = bytes[i] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + need > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}

function firstBadByte(bytes: Buffer): { offset: number; code: "binary_data" | "invalid_encoding" } | null {
  const nul = bytes.indexOf(0);
  if (isUtf8(bytes)) return nul < 0 ? null : { offset: nul, code: "binary_data" };
  const invalid = invalidUtf8Offset(bytes);
  return nul >= 0 && nul < invalid
    ? { offset: nul, code: "binary_data" }
    : { offset: invalid, code: "invalid_encoding" };
}

/** Where the first malformed UTF-8 sequence starts (only called on bytes known to hold one). */
function invalidUtf8Offset(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
