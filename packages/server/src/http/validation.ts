import { Ajv, type Options } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Bodies are validated strictly (a wrong type is an error, an unknown field is an error);
 * query strings and path parameters arrive as text, so those are coerced to the declared types.
 * Given to Fastify as a factory so that every plugin context, whatever schemas it adds, gets it.
 */
function ajv(options: Options, schemas: unknown[]): Ajv {
  const instance = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options });
  (addFormats as unknown as (ajv: Ajv) => void)(instance);
  for (const schema of schemas) instance.addSchema(schema as object);
  return instance;
}

/**
 * The Ajv pair for each set of shared schemas. Fastify asks for validators once per plugin
 * context, and making an Ajv instance with its formats took most of the time an app takes to
 * build (about a second of it): contexts with the same shared schemas (and apps in one process)
 * now share one pair, and with it the validators already compiled.
 */
const ajvPairs = new Map<string, { strict: Ajv; coercing: Ajv }>();

function ajvPairFor(schemas: unknown[]): { strict: Ajv; coercing: Ajv } {
  const key = JSON.stringify(schemas);
  let pair = ajvPairs.get(key);
  if (!pair) {
    pair = { strict: ajv({ coerceTypes: false }, schemas), coercing: ajv({ coerceTypes: "array" }, schemas) };
    ajvPairs.set(key, pair);
  }
  return pair;
}

export function buildValidator(externalSchemas: Record<string, unknown> = {}) {
  const { strict, coercing } = ajvPairFor(Object.values(externalSchemas));
  const compile: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
    (httpPart === "body" ? strict : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
  // Fastify types this factory's result as Ajv's own compile; at run time it is called, like any
  // validator compiler, with {schema, httpPart}.
  return compile as never;
}
