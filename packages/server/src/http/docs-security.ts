import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

/**
 * The API docs page is the one HTML page served: it gets a content security policy that allows
 * only its own scripts and styles (by hash, computed by the docs plugin), may not be framed, and
 * sends no referrer. `upgrade-insecure-requests` is dropped from the plugin's policy, since the
 * server is often reached over plain HTTP on a private network, where it would break the page.
 */
export const docsSecurity = {
  staticCSP: true,
  transformStaticCSP: (policy: string) =>
    policy
      .replace(/\s*upgrade-insecure-requests;?/, "")
      .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
      .replace(/\s+;/g, ";"),
  uiHooks: {
    onRequest: (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      reply.header("x-content-type-options", "nosniff");
      reply.header("x-frame-options", "DENY");
      reply.header("referrer-policy", "no-referrer");
      reply.header("cross-origin-opener-policy", "same-origin");
      reply.header("cross-origin-resource-policy", "same-origin");
      done();
    },
  },
};
