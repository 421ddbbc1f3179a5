import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

const INCOMING = /^[A-Za-z0-9._-]{8,128}$/;

/** Keeps a well-formed X-Request-Id from a proxy, otherwise makes one. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers["x-request-id"];
  if (typeof incoming === "string" && INCOMING.test(incoming)) return incoming;
  return `req_${randomBytes(12).toString("base64url")}`;
}
