import { type PGlite, protocol } from "@electric-sql/pglite";
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

const SYNC = protocol.serialize.sync();

/**
 * Named prepared statements on PGlite, for statements marked `prepared()`: parsed and described
 * once, then run by one Bind, Execute and Sync, so that PostgreSQL keeps their plans as it does on a
 * server connection. PGlite's `query` parses, plans and describes every statement anew, and
 * planning was 40-45 % of a search's time there.
 *
 * The caller must hold the database alone (no transaction open): the statement runs on PGlite's
 * single session, between other callers' statements.
 */
export class PreparedStatements {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly client: PGlite) {}

  /** Whether `text` runs prepared: it already does, or there is room for one more. */
  has(text: string): boolean {
    return this.statements.has(text) || this.statements.size < MAX_PREPARED_TEXTS;
  }

  /** Runs `text` with `params`; the rows parsed as PGlite's `query` would, and the rows affected. */
  async run<Row>(text: string, params: unknown[]): Promise<{ rows: Row[]; affected: number }> {
    const statement = this.statements.get(text) ?? (await this.prepare(text));
    const values = params.map((param, i) => this.serialize(param, statement.paramTypes[i] as number));
    const messages = await this.exchange(
      protocol.serialize.bind({ statement: statement.name, values }),
      protocol.serialize.execute({}),
    );
    const rows: Row[] = [];
    let affected = 0;
    for (const message of messages) {
      if (message.name === "dataRow") rows.push(this.row(statement.fields, message.fields as (string | null)[]));
      else if (message.name === "commandComplete") affected = Number((message.text as string).split(" ").pop()) || 0;
    }
    return { rows, affected };
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
    const buffer = new Uint8Array(parts.reduce((length, part) => length + part.length, SYNC.length));
    let offset = 0;
    for (const part of [...parts, SYNC]) {
      buffer.set(part, offset);
      offset += part.length;
    }
    const result = await this.client.execProtocol(buffer, { syncToFs: false });
    return result.messages as unknown as Message[];
  }

  /** A parameter as PGlite's `query` sends it: by the serializer of its described type, else as text. */
  private serialize(param: unknown, type: number): string | null {
    if (param === null || param === undefined) return null;
    const serializer = this.client.serializers[type];
    return serializer ? serializer(param) : String(param);
  }

  private row<Row>(fields: Field[], values: (string | null)[]): Row {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as Field;
      const value = values[i] ?? null;
      const parser = this.client.parsers[field.dataTypeID];
      row[field.name] = value === null ? null : parser ? parser(value, field.dataTypeID) : value;
    }
    return row as Row;
  }
}
