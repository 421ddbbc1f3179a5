import type { FastifyInstance } from "fastify";
import { requestFingerprint } from "../../core/idempotency/replay.js";
import type { Core } from "../../core/index.js";
import { actorOf } from "./auth.js";

/**
 * POSTs with an Idempotency-Key: the first response is stored and replayed to retries with the
 * same key and request; the response is only sent once it is stored.
 */
export function registerIdempotency(app: FastifyInstance, core: Core): void {
  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers["idempotency-key"];
    if (request.method !== "POST" || key === undefined) return;
    const actor = actorOf(request);
    const text = Array.isArray(key) ? (key[0] ?? "") : key;
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    const claim = await core.idempotency.claim(actor, text, fingerprint);
    if (claim.kind === "replay") {
      return reply
        .code(claim.statusCode)
        .header("content-type", "application/json; charset=utf-8")
        .header("idempotent-replayed", "true")
        .send(claim.body);
    }
    request.idempotencyKey = text;
  });

  app.addHook("onSend", async (request, reply, payload) => {
    if (request.idempotencyKey === null || request.actor === null) return payload;
    const key = request.idempotencyKey;
    request.idempotencyKey = null;
    await core.idempotency.finish(request.actor, key, reply.statusCode, typeof payload === "string" ? payload : "");
    return payload;
  });
}
