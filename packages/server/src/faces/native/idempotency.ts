import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAbortHookHandler,
  onResponseHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
} from "fastify";
import { requestFingerprint } from "../../core/idempotency/replay.js";
import type { Core } from "../../core/index.js";
import { actorOf } from "./auth.js";

/**
 * POSTs with an Idempotency-Key: the first response is stored and replayed to retries with the
 * same key and request; the response is only sent once it is stored. A request that wrote but
 * died before its answer was stored is never run again (core/idempotency).
 */
/** Claims the request's key: the key when the request is to run, null when a replay was sent. */
async function claim(core: Core, request: FastifyRequest, reply: FastifyReply, key: string): Promise<string | null> {
  const fingerprint = requestFingerprint(request.method, request.url, request.body);
  const claimed = await core.idempotency.claim(actorOf(request), key, fingerprint);
  if (claimed.kind === "proceed") return key;
  reply
    .code(claimed.statusCode)
    .header("content-type", "application/json; charset=utf-8")
    .header("idempotent-replayed", "true")
    .send(claimed.body);
  return null;
}

export function registerIdempotency(app: FastifyInstance, core: Core): void {
  const heartbeats = new WeakMap<FastifyRequest, () => void>();
  // From here on the request acts under its key, so its writes mark the key applied in their own
  // transactions. Callback style: most requests carry no key and pass straight through.
  const claimKey: preHandlerHookHandler = (request, reply, done) => {
    const header = request.headers["idempotency-key"];
    if (request.method !== "POST" || header === undefined) return done();
    const text = Array.isArray(header) ? (header[0] ?? "") : header;
    claim(core, request, reply, text).then((key) => {
      if (key === null) return;
      request.idempotencyKey = key;
      heartbeats.set(request, core.idempotency.keepAlive(actorOf(request), key));
      request.actor = core.idempotency.actingUnder(actorOf(request), key);
      done();
    }, done);
  };

  // However the request ends (answered, failed, or the client went away), its claim stops renewing.
  // Callback hooks too, for the same reason.
  const stopHeartbeat = (request: FastifyRequest) => {
    heartbeats.get(request)?.();
    heartbeats.delete(request);
  };
  const onResponse: onResponseHookHandler = (request, _reply, done) => {
    stopHeartbeat(request);
    done();
  };
  const onRequestAbort: onRequestAbortHookHandler = (request, done) => {
    stopHeartbeat(request);
    done();
  };

  const storeAnswer: onSendHookHandler = (request, reply, payload, done) => {
    if (request.idempotencyKey === null || request.actor === null) return done(null, payload);
    const key = request.idempotencyKey;
    request.idempotencyKey = null;
    const secret = request.routeOptions.config.secretInAnswer && reply.statusCode < 300;
    const kept = secret ? null : typeof payload === "string" ? payload : "";
    core.idempotency.finish(request.actor, key, reply.statusCode, kept).then(
      () => done(null, payload),
      (error: Error) => done(error),
    );
  };

  // Only POSTs take a key, so only POST routes carry these hooks: on a scope they would add hook
  // stages to every read.
  app.addHook("onRoute", (route) => {
    if (![route.method].flat().includes("POST")) return;
    route.preHandler = [...hooksOf(route.preHandler), claimKey];
    route.onSend = [...hooksOf(route.onSend), storeAnswer];
    route.onResponse = [...hooksOf(route.onResponse), onResponse];
    route.onRequestAbort = [...hooksOf(route.onRequestAbort), onRequestAbort];
  });
}

function hooksOf<Hook>(hooks: Hook | Hook[] | undefined): Hook[] {
  return hooks === undefined ? [] : ([hooks].flat() as Hook[]);
}
