import type { FastifyReply, FastifyRequest } from "fastify";
import { toProblem } from "../../http/problem.js";

/** The native error shape: {error: {type, code, message, request_id, details?, field?, existing_id?}}. */
export function sendNativeError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed");
  if (problem.status === 401) reply.header("www-authenticate", 'Basic realm="contactd", Bearer realm="contactd"');
  return reply.code(problem.status).send({
    error: {
      type: problem.type,
      code: problem.code,
      message: problem.message,
      request_id: request.id,
      ...(problem.details ? { details: problem.details } : {}),
      ...(problem.field ? { field: problem.field } : {}),
      ...(problem.existingId !== undefined ? { existing_id: String(problem.existingId) } : {}),
    },
  });
}
