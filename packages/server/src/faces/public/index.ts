import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../core/index.js";
import { toProblem } from "../../http/problem.js";

/**
 * What anyone may fetch without credentials: uploaded avatar images at /avatars/<key>. The key
 * is long and random (the capability), and an avatar's bytes never change, so they are cached
 * for a year.
 */
export async function publicFace(app: FastifyInstance, options: { core: Core }): Promise<void> {
  const { core } = options;
  app.setErrorHandler(sendPublicError);

  app.get(
    "/avatars/:key",
    {
      schema: {
        tags: ["avatars"],
        summary: "An avatar image (public)",
        params: Type.Object({ key: Type.String() }),
      },
    },
    async (request, reply) => {
      const { key } = request.params as { key: string };
      const avatar = await core.avatars.serve(key);
      return reply
        .header("content-type", avatar.contentType)
        .header("content-length", String(avatar.size))
        .header("cache-control", "public, max-age=31536000, immutable")
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .send(avatar.stream);
    },
  );
}

/** The native error shape, for what answers outside any face: public routes and unknown paths. */
export function sendPublicError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed");
  return reply.code(problem.status).send({
    error: { type: problem.type, code: problem.code, message: problem.message, request_id: request.id },
  });
}
