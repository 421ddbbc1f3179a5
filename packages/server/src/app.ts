import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { DestinationStream } from "pino";
import type { Core } from "./core/index.js";
import { chatwootFace } from "./faces/chatwoot/index.js";
import { imbraceFace } from "./faces/imbrace/index.js";
import { livedeskFace } from "./faces/livedesk/index.js";
import { nativeFace } from "./faces/native/index.js";
import { publicFace } from "./faces/public/index.js";
import { registerJsonParser } from "./http/json-body.js";
import { requestIdOf } from "./http/request-id.js";
import { buildValidator } from "./http/validation.js";

export interface AppOptions {
  core: Core;
  bodyLimit?: number;
  logLevel?: string;
  /** Base for absolute URLs handed out; when unset, the request's own origin. */
  publicUrl?: string;
  /** Where log lines go; standard output when unset. */
  logDestination?: DestinationStream;
}

/** The HTTP application: shared plumbing, the API description, and every face in one place. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1_048_576,
    logger: {
      level: options.logLevel ?? "info",
      ...(options.logDestination ? { stream: options.logDestination } : {}),
    },
    // One access line per request (below) instead of Fastify's two: logging was a tenth of a read's cost.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200 },
    schemaController: { compilersFactory: { buildValidator } },
  });
  app.decorateRequest("actor", null);
  app.decorateRequest("idempotencyKey", null);
  registerJsonParser(app);
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-request-id", request.id);
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
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
  await app.register(swaggerUi, { routePrefix: "/docs" });

  await app.register(nativeFace, { prefix: "/v1", core: options.core, publicUrl: options.publicUrl });
  await app.register(publicFace, { core: options.core });
  // Compatibility faces: existing clients of other systems, answered unchanged (docs/faces.md).
  const faceOptions = { core: options.core, publicUrl: options.publicUrl };
  await app.register(chatwootFace, faceOptions);
  await app.register(livedeskFace, faceOptions);
  await app.register(imbraceFace, faceOptions);

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  return app;
}
