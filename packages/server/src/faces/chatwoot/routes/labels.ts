import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { pathId } from "../params.js";
import { IdParams, LabelsBody } from "../schemas.js";

/** A contact's labels; POST replaces the whole list, and a body without `labels` clears it, as in Chatwoot. */
export function labelRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get("/contacts/:id/labels", { schema: { params: IdParams } }, async (request) => ({
    payload: await core.labels.ofContact(actorOf(request), pathId(request.params.id, "contact")),
  }));

  routes.post("/contacts/:id/labels", { schema: { params: IdParams, body: LabelsBody } }, async (request) => ({
    payload: await core.labels.set(actorOf(request), pathId(request.params.id, "contact"), request.body.labels ?? []),
  }));
}
