import type { Actor } from "../core/actor.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by a face's authentication hook. */
    actor: Actor | null;
    /** Set when a POST carried an Idempotency-Key this request now owns. */
    idempotencyKey: string | null;
  }
}
