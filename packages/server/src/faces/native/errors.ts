import type { FastifyReply, FastifyRequest } from "fastify";
import { nativeErrorObject } from "./error-body.js";

/** The native error shape: {error: {type, code, message, request_id, details?, field?, existing_id?, merged_into?}}. */
export function sendNativeError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { problem, body } = nativeErrorObject(error, request.id);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed");
  // A twin request still running finishes in moments: tell retrying clients when to come back.
  if (problem.code === "idempotency_in_progress") reply.header("retry-after", "1");
  if (problem.status === 401) reply.header("www-authenticate", 'Basic realm="contactd", Bearer realm="contactd"');
  return reply.code(problem.status).send({ error: body });
}
