import type { Actor } from "../core/actor.js";

/** One method of one registered route, e.g. GET /v1/contacts/:id. */
export interface RouteEntry {
  method: string;
  url: string;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every route registered, in registration order (HEAD twins of GET routes included). */
    routeTable: readonly RouteEntry[];
  }

  interface FastifyContextConfig {
    /**
     * The answer carries a secret shown only once (an API key's): with an Idempotency-Key it is
     * not kept for replay, and a retry is told so.
     */
    secretInAnswer?: boolean;
  }

  interface FastifyRequest {
    /** Set by a face's authentication hook. */
    actor: Actor | null;
    /** Set when a POST carried an Idempotency-Key this request now owns. */
    idempotencyKey: string | null;
  }
}
