import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";

class MalformedJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** 400 for a body that is not well-formed, 422 for one whose values cannot be stored. */
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** Deeper than any body the API takes; deeper ones would only exhaust the stack of code that walks them. */
const MAX_DEPTH = 64;
/**
 * A `\u0000` escape, or an escaped surrogate (`\ud800`–`\udfff`) with an odd run of backslashes
 * before it (an even run is an escaped backslash followed by text). Paired surrogates are allowed
 * when they pair; see unpairedSurrogate.
 */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;
const ESCAPED_SURROGATE = /(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;

/**
 * JSON bodies, with two tolerances real clients need: an empty body with a JSON content type
 * (sent on GET and DELETE by some SDKs) is no body, and prototype-poisoning keys are refused.
 * Refused too, as no field can store them: NUL characters, unpaired surrogates and nesting
 * deeper than MAX_DEPTH.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: any other body type gets 415 (faces that take uploads add their own parser).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/i, { parseAs: "string" }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, undefined);
    const refusal = unstorable(text);
    if (refusal) return done(refusal, undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : "unreadable";
      done(new MalformedJsonError("malformed_json", `The request body is not valid JSON: ${reason}`), undefined);
    }
  });
}

function unstorable(text: string): MalformedJsonError | null {
  if (text.includes("\\u") && (ESCAPED_NUL.test(text) || unpairedSurrogate(text))) {
    return new MalformedJsonError(
      "unstorable_text",
      "The request body holds a NUL character or an unpaired UTF-16 surrogate (a \\u escape), which no field can store",
      422,
    );
  }
  if (depthOf(text) > MAX_DEPTH) {
    return new MalformedJsonError("too_deep", `The request body is nested more than ${MAX_DEPTH} levels deep`);
  }
  return null;
}

/** Whether some escaped high surrogate is not followed by an escaped low one, or a low one stands alone. */
function unpairedSurrogate(text: string): boolean {
  for (const match of text.matchAll(ESCAPED_SURROGATE)) {
    const escaped = match[0].slice(-6);
    const end = (match.index ?? 0) + match[0].length;
    const high = /^\\u[dD][89abAB]/.test(escaped);
    if (!high) {
      const before = text.slice(Math.max(0, (match.index ?? 0) + match[0].length - 12), end - 6);
      if (!/\\u[dD][89abAB][0-9a-fA-F]{2}$/.test(before)) return true;
      continue;
    }
    if (!/^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(text.slice(end, end + 6))) return true;
  }
  return false;
}

/** The deepest nesting of arrays and objects, outside strings. */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92) i++;
      else if (char === 34) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123 || char === 91) deepest = Math.max(deepest, ++depth);
    else if (char === 125 || char === 93) depth--;
  }
  return deepest;
}
