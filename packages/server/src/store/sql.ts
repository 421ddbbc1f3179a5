/**
 * Statement texts a connection keeps prepared. Each connection keeps every statement it prepared,
 * and a statement's text can vary with the request (an export's columns): past this many texts,
 * new ones run unprepared.
 */
export const MAX_PREPARED_TEXTS = 200;

/**
 * A tiny tagged-template SQL builder: values become $n parameters, fragments nest.
 * `sql.raw` is for identifiers and keywords chosen from a whitelist in code, never for input.
 */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
    /** Set by `prepared()`: the server keeps the statement's plan per connection. */
    readonly reusePlan = false,
  ) {}

  /**
   * The same statement, marked for a plan kept per connection (a named prepared statement, which
   * after a few runs plans once for all parameter values; on PGlite, outside transactions only).
   * For statements run often whose best plan does not depend on the values.
   */
  prepared(): Sql {
    return new Sql(this.strings, this.values, true);
  }

  /** Renders to a parameterised statement, numbering parameters from 1. */
  toQuery(): { text: string; params: unknown[] } {
    const params: unknown[] = [];
    const text = this.render(params);
    return { text, params };
  }

  private render(params: unknown[]): string {
    let text = this.strings[0] ?? "";
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      if (value instanceof Sql) {
        text += value.render(params);
      } else {
        params.push(value);
        text += `$${params.length}`;
      }
      text += this.strings[i + 1] ?? "";
    }
    return text;
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

sql.raw = (text: string): Sql => new Sql([text], []);

sql.join = (parts: readonly Sql[], separator = ", "): Sql => {
  if (parts.length === 0) return sql.raw("");
  const strings = ["", ...parts.slice(1).map(() => separator), ""];
  return new Sql(strings, parts);
};

sql.empty = sql.raw("");

/** A jsonb parameter, serialised here so both drivers send the same text (pg would turn arrays into PG arrays). */
sql.json = (value: unknown): Sql => new Sql(["", "::jsonb"], [JSON.stringify(value)]);

/**
 * A json parameter: checked, but not rebuilt into jsonb's binary form, for documents the database
 * stores as sent (json columns) and reads once.
 */
sql.jsonText = (value: unknown): Sql => new Sql(["", "::json"], [JSON.stringify(value)]);
