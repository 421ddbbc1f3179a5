import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";

class MalformedJsonError extends Error {
  readonly statusCode = 400;
  readonly code = "malformed_json";
}

/**
 * JSON bodies, with two tolerances real clients need: an empty body with a JSON content type
 * (sent on GET and DELETE by some SDKs) is no body, and prototype-poisoning keys are refused.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: any other body type gets 415 (faces that take uploads add their own parser).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/i, { parseAs: "string" }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : "unreadable";
      done(new MalformedJsonError(`The request body is not valid JSON: ${reason}`), undefined);
    }
  });
}
