import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { Actor } from "../core/actor.js";
import { RateLimitedError } from "../core/errors.js";
import type { Core } from "../core/index.js";
import type { Quota } from "../core/limits/rate-limiter.js";

/**
 * The onRequest hook of a face whose routes act for a credential: the face's own authentication
 * establishes the actor, then the request counts against that credential's per-minute limit,
 * before the body is read, so a refused upload is not received. Answers carry the limit's state
 * in the RateLimit-* headers; a refusal is 429 with Retry-After, in the face's own error shape.
 *
 * Both in one hook: each hook stage Fastify runs costs every request a share of its time.
 */
export function actorHook(
  core: Core,
  authenticate: (request: FastifyRequest) => Promise<Actor>,
): onRequestAsyncHookHandler {
  const take = core.rateLimit;
  return async (request, reply) => {
    const actor = await authenticate(request);
    request.actor = actor;
    if (!take) return;
    try {
      // The common case (this process still holds leased requests) answers at once.
      const quota = take(actor);
      setQuotaHeaders(reply, quota instanceof Promise ? await quota : quota);
    } catch (error) {
      if (error instanceof RateLimitedError) {
        setQuotaHeaders(reply, error.quota);
        reply.header("retry-after", String(error.quota.resetSeconds));
      }
      throw error;
    }
  };
}

function setQuotaHeaders(reply: FastifyReply, quota: Quota): void {
  reply.header("ratelimit-limit", String(quota.limit));
  reply.header("ratelimit-remaining", String(quota.remaining));
  reply.header("ratelimit-reset", String(quota.resetSeconds));
}
