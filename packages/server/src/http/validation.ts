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

export function buildValidator(externalSchemas: Record<string, unknown> = {}) {
  const schemas = Object.values(externalSchemas);
  const strict = ajv({ coerceTypes: false }, schemas);
  const coercing = ajv({ coerceTypes: "array" }, schemas);
  const compile: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
    (httpPart === "body" ? strict : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
  // Fastify types this factory's result as Ajv's own compile; at run time it is called, like any
  // validator compiler, with {schema, httpPart}.
  return compile as never;
}
