import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from "fastify";
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
 * Both in one hook: each hook stage Fastify runs costs every request a share of its time. And a
 * callback rather than a promise: a known credential within its lease is admitted without one.
 */
export function actorHook(
  core: Core,
  authenticate: (request: FastifyRequest) => Actor | Promise<Actor>,
): onRequestHookHandler {
  const take = core.rateLimit;
  const admit = (request: FastifyRequest, reply: FastifyReply, actor: Actor, done: HookHandlerDoneFunction) => {
    request.actor = actor;
    if (!take) return done();
    let quota: Quota | Promise<Quota>;
    try {
      quota = take(actor);
    } catch (error) {
      return refuse(reply, done, error);
    }
    // The common case (this process still holds leased requests) answers at once.
    if (quota instanceof Promise) {
      quota.then(
        (leased) => {
          setQuotaHeaders(reply, leased);
          done();
        },
        (error) => refuse(reply, done, error),
      );
      return;
    }
    setQuotaHeaders(reply, quota);
    done();
  };
  return (request, reply, done) => {
    let actor: Actor | Promise<Actor>;
    try {
      actor = authenticate(request);
    } catch (error) {
      return done(error as Error);
    }
    if (actor instanceof Promise) actor.then((known) => admit(request, reply, known, done), done);
    else admit(request, reply, actor, done);
  };
}

function refuse(reply: FastifyReply, done: HookHandlerDoneFunction, error: unknown): void {
  if (error instanceof RateLimitedError) {
    setQuotaHeaders(reply, error.quota);
    reply.header("retry-after", String(error.quota.resetSeconds));
  }
  done(error as Error);
}

function setQuotaHeaders(reply: FastifyReply, quota: Quota): void {
  reply.header("ratelimit-limit", String(quota.limit));
  reply.header("ratelimit-remaining", String(quota.remaining));
  reply.header("ratelimit-reset", String(quota.resetSeconds));
}
