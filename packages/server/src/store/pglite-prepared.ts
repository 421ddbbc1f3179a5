import { type PGlite, protocol } from "@electric-sql/pglite";
import { bindExecuteSync } from "./pglite-bind.js";
import { MAX_PREPARED_TEXTS } from "./sql.js";

type Message = { name: string; [field: string]: unknown };
interface Field {
  name: string;
  dataTypeID: number;
}
interface Statement {
  name: string;
  paramTypes: number[];
  fields: Field[];
}

/**
 * What a prepared statement answered. `notifications` are the NOTIFYs its commit delivered: read
 * here, they did not reach PGlite's listeners, so the caller raises them again once the database
 * is free.
 */
export interface Answer<Row> {
  rows: Row[];
  affected: number;
  notifications: { channel: string; payload: string }[];
}

const SYNC = protocol.serialize.sync();
/** A message's type byte and length. */
const HEADER = 5;
const DATA_ROW = 0x44;
const COMMAND_COMPLETE = 0x43;
/** BindComplete, NoData, ReadyForQuery. */
const ACKNOWLEDGEMENTS = new Set([0x32, 0x6e, 0x5a]);

/**
 * Named prepared statements on PGlite, for statements marked `prepared()`: parsed and described
 * once, then run by one Bind, Execute and Sync, so that PostgreSQL keeps their plans as it does on a
 * server connection. PGlite's `query` parses, plans and describes every statement anew, and
 * planning was 40-45 % of a search's time there.
 *
 * The caller must hold the client alone, with no transaction open and no other call on it under
 * way: the statement runs on PGlite's single session, outside PGlite's own locks.
 */
export class PreparedStatements {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly client: PGlite) {}

  /** Whether `text` runs prepared: it already does, or there is room for one more. */
  has(text: string): boolean {
    return this.statements.has(text) || this.statements.size < MAX_PREPARED_TEXTS;
  }

  /**
   * Runs `text` with `params`: the rows parsed as PGlite's `query` would, the rows affected, and any
   * NOTIFY the statement's commit delivered, which the caller must raise again (`Answer`).
   */
  async run<Row>(text: string, params: unknown[]): Promise<Answer<Row>> {
    const statement = this.statements.get(text) ?? (await this.prepare(text));
    const values = params.map((param, i) => this.serialize(param, statement.paramTypes[i] as number));
    const answer = await this.exchangeRaw(bindExecuteSync(statement.name, values));
    return this.readPlain<Row>(statement.fields, answer) ?? this.readAny<Row>(statement.fields, answer);
  }

  private async prepare(text: string): Promise<Statement> {
    const name = `s${this.statements.size}`;
    const messages = await this.exchange(
      protocol.serialize.parse({ name, text }),
      protocol.serialize.describe({ type: "S", name }),
    );
    const described = (kind: string) => messages.find((message) => message.name === kind);
    const statement: Statement = {
      name,
      paramTypes: (described("parameterDescription")?.dataTypeIDs as number[] | undefined) ?? [],
      fields: (described("rowDescription")?.fields as Field[] | undefined) ?? [],
    };
    this.statements.set(text, statement);
    return statement;
  }

  /** Sends the messages and a Sync in one buffer; an error answer throws once the Sync is through. */
  private async exchange(...parts: Uint8Array[]): Promise<Message[]> {
    const result = await this.client.execProtocol(withSync(parts), { syncToFs: false });
    return result.messages as unknown as Message[];
  }

  /** Sends `messages`, which end with a Sync; the answer's bytes, unread. */
  private async exchangeRaw(messages: Uint8Array): Promise<Buffer> {
    const chunks: Buffer[] = [];
    // Each chunk is a view of PGlite's memory, valid only during the call.
    const onRawData = (chunk: Uint8Array) => chunks.push(Buffer.from(chunk));
    await this.client.execProtocolRawStream(messages, { syncToFs: false, onRawData });
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  }

  /**
   * The rows and count of an answer holding nothing else but the protocol's acknowledgements, read
   * in place; null for any other answer. PGlite's own reader copies each field into an ArrayBuffer
   * of its own before decoding it: some 250 for a page of contacts, a third of what a search
   * allocated there and a fifth of its CPU.
   */
  private readPlain<Row>(fields: Field[], answer: Buffer): Answer<Row> | null {
    const rows: Row[] = [];
    let affected = 0;
    for (let at = 0; at + HEADER <= answer.length; ) {
      const type = answer[at];
      const end = at + 1 + answer.readInt32BE(at + 1);
      if (type === DATA_ROW) rows.push(this.dataRow<Row>(fields, answer, at + HEADER));
      else if (type === COMMAND_COMPLETE) affected = affectedBy(answer.toString("latin1", at + HEADER, end - 1));
      else if (!ACKNOWLEDGEMENTS.has(type as number)) return null;
      at = end;
    }
    return { rows, affected, notifications: [] };
  }

  /**
   * A DataRow's fields (after their count, which is the statement's), each by its type's parser,
   * decoded straight from the answer: no view of each field, no array of a row's values.
   */
  private dataRow<Row>(fields: Field[], answer: Buffer, start: number): Row {
    const row: Record<string, unknown> = {};
    let at = start + 2;
    for (const field of fields) {
      const length = answer.readInt32BE(at);
      at += 4;
      row[field.name] = length < 0 ? null : this.parse(field, answer.toString("utf8", at, at + length));
      if (length > 0) at += length;
    }
    return row as Row;
  }

  /** Any other answer, read by PGlite's parser: an error throws, notices are dropped as PGlite does. */
  private readAny<Row>(fields: Field[], answer: Uint8Array): Answer<Row> {
    const result: Answer<Row> = { rows: [], affected: 0, notifications: [] };
    const messages: Message[] = [];
    new protocol.Parser().parse(answer, (message) => messages.push(message as unknown as Message));
    for (const message of messages) {
      if (message instanceof protocol.messages.DatabaseError) throw message;
      if (message.name === "dataRow") result.rows.push(this.row(fields, message.fields as (string | null)[]));
      else if (message.name === "commandComplete") result.affected = affectedBy(message.text as string);
      else if (message.name === "notification")
        result.notifications.push({ channel: message.channel as string, payload: message.payload as string });
    }
    return result;
  }

  /** A parameter as PGlite's `query` sends it: by the serializer of its described type, else as text. */
  private serialize(param: unknown, type: number): string | null {
    if (param === null || param === undefined) return null;
    const serializer = this.client.serializers[type];
    return serializer ? serializer(param) : String(param);
  }

  private row<Row>(fields: Field[], values: (string | null)[]): Row {
    const row: Record<string, unknown> = {};
    fields.forEach((field, i) => {
      const value = values[i] ?? null;
      row[field.name] = value === null ? null : this.parse(field, value);
    });
    return row as Row;
  }

  private parse(field: Field, value: string): unknown {
    const parser = this.client.parsers[field.dataTypeID];
    return parser ? parser(value, field.dataTypeID) : value;
  }
}

function withSync(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat([...parts, SYNC]);
}

/** The rows a command affected, from its tag ("INSERT 0 3", "UPDATE 2", "SELECT 5"). */
function affectedBy(tag: string): number {
  return Number(tag.split(" ").pop()) || 0;
}
