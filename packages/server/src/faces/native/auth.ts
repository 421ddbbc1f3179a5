import type { FastifyRequest } from "fastify";
import type { Actor } from "../../core/actor.js";
import { splitToken } from "../../core/auth/secrets.js";
import { AuthenticationError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";

/** Key and secret from `Authorization: Basic base64(key:secret)` or `Authorization: Bearer key.secret`. */
export function credentialsFrom(header: string | undefined): { key: string; secret: string } | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^basic$/i.test(scheme ?? "")) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon > 0 ? { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) } : null;
  }
  if (/^bearer$/i.test(scheme ?? "")) return splitToken(value);
  return null;
}

export async function authenticateRequest(core: Core, request: FastifyRequest): Promise<Actor> {
  const credentials = credentialsFrom(request.headers.authorization);
  if (!credentials) throw new AuthenticationError("Send Authorization: Basic base64(key:secret) or Bearer key.secret");
  return core.auth.authenticate(credentials.key, credentials.secret);
}

/** The actor a route's onRequest hook established. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AuthenticationError();
  return request.actor;
}
