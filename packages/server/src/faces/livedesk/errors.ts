import type { FastifyReply, FastifyRequest } from "fastify";
import { toProblem } from "../../http/problem.js";

/**
 * LiveDesk answers errors the Chatwoot way, `{"error": message}`: 401 for missing or bad
 * credentials, 403 for a role that may not; bad parameters are named in `attributes`.
 */
export function sendLivedeskError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed");
  if (problem.status === 401) reply.header("www-authenticate", 'Basic realm="contactd"');
  const attributes = problem.details?.map((detail) => detail.field);
  return reply.code(problem.status).send({ error: problem.message, ...(attributes ? { attributes } : {}) });
}
