import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

const INCOMING = /^[A-Za-z0-9._-]{8,128}$/;

// Ids need to be unique, not unguessable: a random prefix per process and a counter cost far
// less than random bytes for every request.
const PROCESS_PREFIX = randomBytes(9).toString("base64url");
let issued = 0;

/** Keeps a well-formed X-Request-Id from a proxy, otherwise makes one. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers["x-request-id"];
  if (typeof incoming === "string" && INCOMING.test(incoming)) return incoming;
  issued += 1;
  return `req_${PROCESS_PREFIX}${issued.toString(36)}`;
}
