import type { FastifyRequest } from "fastify";
import type { Actor } from "../../core/actor.js";
import { AuthenticationError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";
import { credentialsFrom } from "../../http/authorization.js";

export function authenticateRequest(core: Core, request: FastifyRequest): Actor | Promise<Actor> {
  const credentials = credentialsFrom(request.headers.authorization);
  if (!credentials) throw new AuthenticationError("Send Authorization: Basic base64(key:secret) or Bearer key.secret");
  return core.auth.authenticate(credentials.key, credentials.secret);
}

/** The actor a route's onRequest hook established. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AuthenticationError();
  return request.actor;
}
