import type { FastifyInstance, FastifyReply } from "fastify";
import { RateLimitedError } from "../core/errors.js";
import type { Core } from "../core/index.js";
import type { Quota } from "../core/limits/rate-limiter.js";

/**
 * Every authenticated request of every face counts against its credential's per-minute limit.
 * The hook runs after the faces' onRequest hooks have established the actor and before the body
 * is read, so a refused upload is not received. Answers carry the limit's state in the
 * RateLimit-* headers; a refusal is 429 with Retry-After, in the face's own error shape.
 */
export function registerRateLimit(app: FastifyInstance, core: Core): void {
  const take = core.rateLimit;
  if (!take) return;
  // A callback hook, so that the common case (this process still holds leased requests) adds no
  // promise to the request.
  app.addHook("preParsing", (request, reply, payload, done) => {
    if (!request.actor) return done(null, payload);
    const refuse = (error: unknown) => {
      if (error instanceof RateLimitedError) {
        setQuotaHeaders(reply, error.quota);
        reply.header("retry-after", String(error.quota.resetSeconds));
      }
      done(error as Error);
    };
    try {
      const quota = take(request.actor);
      if (!(quota instanceof Promise)) {
        setQuotaHeaders(reply, quota);
        return done(null, payload);
      }
      quota.then((leased) => {
        setQuotaHeaders(reply, leased);
        done(null, payload);
      }, refuse);
    } catch (error) {
      refuse(error);
    }
  });
}

function setQuotaHeaders(reply: FastifyReply, quota: Quota): void {
  reply.header("ratelimit-limit", String(quota.limit));
  reply.header("ratelimit-remaining", String(quota.remaining));
  reply.header("ratelimit-reset", String(quota.resetSeconds));
}
