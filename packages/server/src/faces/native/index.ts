import type { FastifyInstance, FastifyRequest } from "fastify";
import { NotFoundError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";
import { actorHook } from "../../http/actor-hook.js";
import { baseUrlFrom } from "../../http/urls.js";
import { authenticateRequest } from "./auth.js";
import { sendNativeError } from "./errors.js";
import { registerIdempotency } from "./idempotency.js";
import { accountRoutes } from "./routes/account.js";
import { commentRoutes } from "./routes/comments.js";
import { contactBulkRoutes } from "./routes/contact-bulk.js";
import { contactRoutes } from "./routes/contacts.js";
import { conversationRoutes } from "./routes/conversations.js";
import { exportRoutes } from "./routes/exports.js";
import { followerRoutes } from "./routes/followers.js";
import { importScope } from "./routes/imports.js";
import { inboxRoutes } from "./routes/inboxes.js";
import { labelRoutes } from "./routes/labels.js";
import { mergeRoutes } from "./routes/merge.js";
import { notificationStreamRoute } from "./routes/notification-stream.js";
import { notificationRoutes } from "./routes/notifications.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { Contact, ContactInbox, ErrorBody } from "./schemas.js";
import { uploadScope } from "./uploads.js";

/** The native REST API, mounted at /v1. */
export async function nativeFace(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  const { core } = options;
  const base = baseUrlFrom(options.publicUrl);
  app.addSchema(ContactInbox);
  app.addSchema(Contact);
  app.addSchema(ErrorBody);
  app.setErrorHandler(async (error, request, reply) =>
    sendNativeError(await explainMissingContact(core, error, request), request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        type: "not_found_error",
        code: "route_not_found",
        message: `No route ${request.method} ${request.url}`,
        request_id: request.id,
      },
    }),
  );
  // Every route documents the error shape and the credentials it needs.
  app.addHook("onRoute", (route) => {
    route.schema ??= {};
    const schema = route.schema as Record<string, unknown>;
    schema.response = { ...(schema.response as object), "4xx": { $ref: "Error#" } };
    schema.security = [{ basic: [] }, { bearer: [] }];
  });
  app.addHook(
    "onRequest",
    actorHook(core, (request) => authenticateRequest(core, request)),
  );
  registerIdempotency(app, core);
  contactRoutes(app, core, base);
  contactBulkRoutes(app, core, base);
  exportRoutes(app, core, base);
  labelRoutes(app, core);
  inboxRoutes(app, core);
  conversationRoutes(app, core);
  commentRoutes(app, core);
  followerRoutes(app, core);
  mergeRoutes(app, core, base);
  notificationRoutes(app, core);
  notificationStreamRoute(app, core);
  webhookRoutes(app, core);
  accountRoutes(app, core);
  app.register(uploadScope, { core, base });
  app.register(importScope, { core });
}

/** A contact id that names no contact may name a merged-away one: then the answer is 410 naming the survivor. */
async function explainMissingContact(core: Core, error: unknown, request: FastifyRequest): Promise<unknown> {
  if (!(error instanceof NotFoundError) || error.code !== "contact_not_found" || !request.actor) return error;
  if (!request.routeOptions.url?.startsWith("/v1/contacts/:id")) return error;
  const id = (request.params as { id?: string }).id ?? "";
  if (!/^[1-9][0-9]{0,14}$/.test(id)) return error;
  return core.contacts.missing(request.actor, Number(id));
}
