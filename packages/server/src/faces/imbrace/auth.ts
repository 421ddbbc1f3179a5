import type { FastifyRequest } from "fastify";
import type { Actor } from "../../core/actor.js";
import { AuthenticationError, ForbiddenError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";
import { credentialsFrom } from "../../http/authorization.js";

const HELP = "Send x-api-key: <token> (or x-access-token: <token>, or Authorization: Bearer <token>)";

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * The SDK's credentials: `x-api-key`, the legacy `x-access-token`, or `Authorization: Bearer`,
 * each carrying a contactd token (`key.secret`). An `x-organization-id` sent alongside must name
 * the token's own account: a client that believes it works in another organization is stopped.
 */
export async function authenticateImbrace(core: Core, request: FastifyRequest): Promise<Actor> {
  const token = header(request, "x-api-key") ?? header(request, "x-access-token");
  let actor: Actor;
  if (token !== undefined) {
    actor = await core.auth.authenticateToken(token);
  } else {
    const credentials = credentialsFrom(request.headers.authorization);
    if (!credentials) throw new AuthenticationError(HELP);
    actor = await core.auth.authenticate(credentials.key, credentials.secret);
  }
  const organization = header(request, "x-organization-id");
  if (organization !== undefined && organization !== String(actor.accountId)) {
    throw new ForbiddenError("x-organization-id names an organization this token does not belong to");
  }
  return actor;
}

/** The actor the scope's onRequest hook established. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AuthenticationError(HELP);
  return request.actor;
}
