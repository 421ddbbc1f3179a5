import type { FastifyRequest } from "fastify";
import type { Actor } from "../../core/actor.js";
import type { Core } from "../../core/index.js";
import { ChatwootError, INVALID_TOKEN, NOT_MEMBER } from "./errors.js";

/**
 * The token comes in `api_access_token` (the SDKs) or `api-access-token` (n8n): Rails reads both
 * as one header, Node keeps them apart. An Authorization header is never read: figuro sends
 * `Bearer <token>` alongside, and it must neither help nor hurt.
 */
export async function authenticateRequest(core: Core, request: FastifyRequest): Promise<Actor> {
  const token = headerText(request.headers.api_access_token) ?? headerText(request.headers["api-access-token"]);
  if (!token) throw new ChatwootError(401, INVALID_TOKEN);
  const actor = await core.auth.authenticateToken(token);
  // The path names the account; a token only ever opens its own.
  const { account_id } = request.params as { account_id?: string };
  if (account_id !== String(actor.accountId)) throw new ChatwootError(401, NOT_MEMBER);
  return actor;
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() || undefined;
}

/** The actor the scope's onRequest hook established. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new ChatwootError(401, INVALID_TOKEN);
  return request.actor;
}
