import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";
import { authenticateRequest } from "./auth.js";
import { sendNativeError } from "./errors.js";
import { registerIdempotency } from "./idempotency.js";
import { accountRoutes } from "./routes/account.js";
import { commentRoutes } from "./routes/comments.js";
import { contactRoutes } from "./routes/contacts.js";
import { conversationRoutes } from "./routes/conversations.js";
import { followerRoutes } from "./routes/followers.js";
import { inboxRoutes } from "./routes/inboxes.js";
import { labelRoutes } from "./routes/labels.js";
import { notificationStreamRoute } from "./routes/notification-stream.js";
import { notificationRoutes } from "./routes/notifications.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { Contact, ContactInbox, ErrorBody } from "./schemas.js";
import { uploadScope } from "./uploads.js";
import { baseUrlFrom } from "./urls.js";

/** The native REST API, mounted at /v1. */
export async function nativeFace(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  const { core } = options;
  const base = baseUrlFrom(options.publicUrl);
  app.addSchema(ContactInbox);
  app.addSchema(Contact);
  app.addSchema(ErrorBody);
  app.setErrorHandler(sendNativeError);
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
  app.addHook("onRequest", async (request) => {
    request.actor = await authenticateRequest(core, request);
  });
  registerIdempotency(app, core);
  contactRoutes(app, core, base);
  labelRoutes(app, core);
  inboxRoutes(app, core);
  conversationRoutes(app, core);
  commentRoutes(app, core);
  followerRoutes(app, core);
  notificationRoutes(app, core);
  notificationStreamRoute(app, core);
  webhookRoutes(app, core);
  accountRoutes(app, core);
  app.register(uploadScope, { core, base });
}
