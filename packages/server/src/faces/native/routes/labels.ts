import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderLabel, renderList } from "../render.js";
import { ContactLabels, IdParams, LabelList, LabelNames } from "../schemas.js";

const tags = ["labels"];

export function labelRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get(
    "/labels",
    { schema: { tags, summary: "The account's labels with contact counts", response: { 200: LabelList } } },
    async (request) => renderList((await core.labels.list(actorOf(request))).map(renderLabel), false),
  );

  routes.get(
    "/contacts/:id/labels",
    { schema: { tags, summary: "A contact's labels", params: IdParams, response: { 200: ContactLabels } } },
    async (request) => ({
      labels: await core.labels.ofContact(actorOf(request), parseId(request.params.id, "contact")),
    }),
  );

  const verbs = [
    ["put", "Replace a contact's labels", core.labels.set],
    ["post", "Add labels to a contact", core.labels.add],
    ["delete", "Remove labels from a contact", core.labels.remove],
  ] as const;
  for (const [method, summary, change] of verbs) {
    routes[method](
      "/contacts/:id/labels",
      { schema: { tags, summary, params: IdParams, body: LabelNames, response: { 200: ContactLabels } } },
      async (request) => ({
        labels: await change(actorOf(request), parseId(request.params.id, "contact"), request.body.labels),
      }),
    );
  }
}
