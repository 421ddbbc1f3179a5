import type { FastifyReply, FastifyRequest } from "fastify";
import { NotFoundError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";
import { toProblem } from "../../http/problem.js";
import { isId } from "./params.js";

/**
 * iMBRACE's error body, `{message, code, request_id}`, with `details` naming each bad field on
 * 422 and `existing_id` on a 409. Its clients know no 410: a merged-away contact is a 404 that
 * names the survivor in `merged_into`.
 */
export function sendImbraceError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed");
  return reply.code(problem.status === 410 ? 404 : problem.status).send({
    message: problem.message,
    code: problem.code,
    request_id: request.id,
    ...(problem.details ? { details: problem.details } : {}),
    ...(problem.field ? { field: problem.field } : {}),
    ...(problem.existingId !== undefined ? { existing_id: String(problem.existingId) } : {}),
    ...(problem.survivorId !== undefined ? { merged_into: String(problem.survivorId) } : {}),
  });
}

const CONTACT_ROUTE = /^\/channel-service\/v1\/contacts?\/:id(\/|$)/;

/** A contact id that names no contact may name a merged-away one: say which contact it lives on as. */
export async function explainMissingContact(core: Core, error: unknown, request: FastifyRequest): Promise<unknown> {
  if (!(error instanceof NotFoundError) || error.code !== "contact_not_found" || !request.actor) return error;
  if (!CONTACT_ROUTE.test(request.routeOptions.url ?? "")) return error;
  const id = (request.params as { id?: string }).id ?? "";
  if (!isId(id)) return error;
  return core.contacts.missing(request.actor, Number(id));
}
