import { hostname } from "node:os";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import pino, { type DestinationStream } from "pino";
import { NotFoundError } from "./core/errors.js";
import type { Core } from "./core/index.js";
import { sendChatwootError } from "./faces/chatwoot/errors.js";
import { chatwootFace } from "./faces/chatwoot/index.js";
import { sendImbraceError } from "./faces/imbrace/errors.js";
import { imbraceFace } from "./faces/imbrace/index.js";
import { sendLivedeskError } from "./faces/livedesk/errors.js";
import { livedeskFace } from "./faces/livedesk/index.js";
import { sendNativeError } from "./faces/native/errors.js";
import { nativeFace } from "./faces/native/index.js";
import { type Lifecycle, operationsFace } from "./faces/operations/index.js";
import { publicFace, sendPublicError } from "./faces/public/index.js";
import { accessLog } from "./http/access-log.js";
import { docsSecurity } from "./http/docs-security.js";
import type { RouteEntry } from "./http/fastify.js";
import { registerJsonParser } from "./http/json-body.js";
import { requestIdOf } from "./http/request-id.js";
import { buildValidator } from "./http/validation.js";
import { Metrics } from "./metrics.js";

export interface AppOptions {
  core: Core;
  bodyLimit?: number;
  /** Longest time to receive a whole request, in ms (408 after it); 0 or unset for no limit. */
  requestTimeout?: number;
  logLevel?: string;
  /** Base for absolute URLs handed out; when unset, the request's own origin. */
  publicUrl?: string;
  /** Where log lines go; standard output when unset. */
  logDestination?: DestinationStream;
  /** The process's metrics (shared with the background workers); the app's own when unset. */
  metrics?: Metrics;
  /** Set to draining on shutdown, so /readyz turns away new traffic. */
  lifecycle?: Lifecycle;
}

/** The HTTP application: shared plumbing, the API description, and every face in one place. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const logDestination = options.logDestination ?? pino.destination(1);
  // pino's own default base, named here so that the access lines below carry it too.
  const logBase = { pid: process.pid, hostname: hostname() };
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Given to Node when it creates the server: set on the server afterwards (as Fastify's own
    // option does), Node 20 does not apply it. Node finds requests past their time when it checks,
    // every 30 s unless told: a quarter of the timeout keeps a slow body from holding on for long.
    http: {
      requestTimeout: options.requestTimeout ?? 0,
      connectionsCheckingInterval: checkingInterval(options.requestTimeout ?? 0),
    },
    requestTimeout: options.requestTimeout ?? 0,
    logger: {
      level: options.logLevel ?? "info",
      stream: logDestination,
      base: logBase,
    },
    // One access line per request (below) instead of Fastify's two: logging was a tenth of a read's cost.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    // Errors before routing (a path that is not valid percent-encoding, a parameter too long)
    // answer in the shape of the face the path belongs to.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      return errorSenderFor(request.url)(error, request, reply);
    },
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200 },
    schemaController: { compilersFactory: { buildValidator } },
  });
  const routeTable: RouteEntry[] = [];
  // Every route of every face, as registered: for tests that must cover all of them, and metrics.
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url });
  });
  app.decorate("routeTable", routeTable);
  app.decorateRequest("actor", null);
  app.decorateRequest("idempotencyKey", null);
  registerJsonParser(app);
  // Hooks on every request take a callback rather than return a promise: an async hook costs a
  // promise and a turn of the microtask queue on each request, for work that never waits.
  // Set first, so that every answer carries it, refusals and errors included.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  const metrics = options.metrics ?? new Metrics(options.core);
  const logAccess = accessLog(app.log, logDestination, logBase);
  app.addHook("onResponse", (request, reply, done) => {
    // Paths no route matched share one label, so made-up paths cannot multiply the series.
    const route = request.routeOptions.url ?? "(unmatched)";
    const ms = reply.elapsedTime;
    metrics.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    logAccess(request, reply, Math.round(ms * 10) / 10);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "contactd",
        version: "1",
        description:
          "Contacts for omnichannel customer engagement. Authenticate with Basic key:secret or Bearer key.secret.",
      },
      components: {
        securitySchemes: {
          basic: { type: "http", scheme: "basic" },
          bearer: { type: "http", scheme: "bearer" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", ...docsSecurity });

  await app.register(nativeFace, { prefix: "/v1", core: options.core, publicUrl: options.publicUrl });
  await app.register(publicFace, { core: options.core });
  // Compatibility faces: existing clients of other systems, answered unchanged (docs/faces.md).
  const faceOptions = { core: options.core, publicUrl: options.publicUrl };
  await app.register(chatwootFace, faceOptions);
  await app.register(livedeskFace, faceOptions);
  await app.register(imbraceFace, faceOptions);

  // Paths no face's scope claims (and errors on the way to finding that out, such as a body that
  // cannot be parsed), in the shape of the face their prefix belongs to.
  app.setNotFoundHandler((request, reply) => errorSenderFor(request.url)(new NotFoundError("route"), request, reply));
  app.setErrorHandler((error, request, reply) => errorSenderFor(request.url)(error, request, reply));
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.register(operationsFace, {
    core: options.core,
    metrics,
    lifecycle: options.lifecycle ?? { draining: false },
  });
  return app;
}

function checkingInterval(requestTimeout: number): number {
  return requestTimeout > 0 ? Math.min(30_000, Math.max(250, Math.floor(requestTimeout / 4))) : 30_000;
}

type ErrorSender = (error: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Each face's error sender, by the path prefix the face is mounted at. */
const ERROR_SENDERS: Array<[string, ErrorSender]> = [
  ["/v1/", sendNativeError],
  ["/api/v1/", sendChatwootError],
  ["/api/v2/", sendLivedeskError],
  ["/channel-service/", sendImbraceError],
];

function errorSenderFor(url: string): ErrorSender {
  return ERROR_SENDERS.find(([prefix]) => url.startsWith(prefix))?.[1] ?? sendPublicError;
}
