import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";
import { actorHook } from "../../http/actor-hook.js";
import { baseUrlFrom } from "../../http/urls.js";
import { authenticateImbrace } from "./auth.js";
import { explainMissingContact, sendImbraceError } from "./errors.js";
import { contactRoutes } from "./routes/contacts.js";
import { linkedRoutes } from "./routes/linked.js";
import { notificationRoutes } from "./routes/notifications.js";
import { uploadRoutes } from "./routes/uploads.js";

const PREFIX = "/channel-service/v1";

/** iMBRACE's channel-service (`/channel-service/v1/...`), what the iMBRACE SDK calls. */
export async function imbraceFace(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  await app.register(channelService, { prefix: PREFIX, ...options });
}

async function channelService(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  const { core } = options;
  const base = baseUrlFrom(options.publicUrl);
  app.setErrorHandler(async (error, request, reply) =>
    sendImbraceError(await explainMissingContact(core, error, request), request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      message: `No route ${request.method} ${request.url}`,
      code: "route_not_found",
      request_id: request.id,
    }),
  );
  // A compatibility surface: described in docs/faces/imbrace.md, not in the OpenAPI document.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook(
    "onRequest",
    actorHook(core, (request) => authenticateImbrace(core, request)),
  );
  contactRoutes(app, core, base);
  linkedRoutes(app, core, base);
  notificationRoutes(app, core);
  await app.register(uploadRoutes, { core, base });
}
