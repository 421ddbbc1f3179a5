import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";
import { actorHook } from "../../http/actor-hook.js";
import { type BaseUrl, baseUrlFrom } from "../../http/urls.js";
import { authenticateRequest } from "./auth.js";
import { NOT_FOUND, sendChatwootError } from "./errors.js";
import { attributeRoutes } from "./routes/attributes.js";
import { contactRoutes } from "./routes/contacts.js";
import { filterRoutes } from "./routes/filter.js";
import { labelRoutes } from "./routes/labels.js";
import { linkedRoutes } from "./routes/linked.js";
import { mergeRoutes } from "./routes/merge.js";
import { noteRoutes } from "./routes/notes.js";
import { statusRoute } from "./routes/status.js";

/** Chatwoot's API v1 (`/api/v1/accounts/:account_id/...`), for existing Chatwoot clients (docs/faces/chatwoot.md). */
export async function chatwootFace(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  // The API document describes /v1; these routes answer clients written against Chatwoot's.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  statusRoute(app);
  await app.register(accountScope, {
    prefix: "/api/v1/accounts/:account_id",
    core: options.core,
    base: baseUrlFrom(options.publicUrl),
  });
}

/** Everything under one account: the token must belong to the account the path names. */
async function accountScope(app: FastifyInstance, options: { core: Core; base: BaseUrl }): Promise<void> {
  const { core, base } = options;
  app.setErrorHandler((error, request, reply) => sendChatwootError(error, request, reply));
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
  app.addHook(
    "onRequest",
    actorHook(core, (request) => authenticateRequest(core, request)),
  );
  // No body at all reads as an empty one, as Rails reads it: an update without fields changes nothing.
  app.addHook("preValidation", async (request) => {
    request.body ??= {};
  });
  contactRoutes(app, core, base);
  filterRoutes(app, core, base);
  attributeRoutes(app, core, base);
  linkedRoutes(app, core, base);
  labelRoutes(app, core);
  noteRoutes(app, core);
  mergeRoutes(app, core, base);
}
