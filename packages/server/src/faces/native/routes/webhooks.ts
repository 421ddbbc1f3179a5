import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Static } from "typebox";
import type { Core } from "../../../core/index.js";
import type { WebhookInput } from "../../../core/webhooks/manage.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderAttempt, renderDelivery, renderWebhook } from "../render.js";
import {
  CountedListOf,
  Deleted,
  DeliveryListQuery,
  DeliveryParams,
  IdParams,
  Webhook,
  WebhookAttempt,
  WebhookDelivery,
  WebhookUpdate,
  WebhookWrite,
} from "../schemas.js";

const tags = ["webhooks"];

/** Endpoints that receive the account's events, and the record of every delivery (administrators). */
export function webhookRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const webhookId = (id: string) => parseId(id, "webhook");

  routes.post(
    "/webhooks",
    {
      schema: {
        tags,
        summary: "Register an endpoint; the answer holds its signing secret, shown only now (administrators)",
        body: WebhookWrite,
        response: { 201: Webhook },
      },
    },
    async (request, reply) => {
      const webhook = await core.webhooks.create(actorOf(request), webhookInput(request.body));
      return reply.code(201).send(renderWebhook(webhook));
    },
  );

  routes.get(
    "/webhooks",
    {
      schema: { tags, summary: "The account's endpoints (administrators)", response: { 200: CountedListOf(Webhook) } },
    },
    async (request) => {
      const webhooks = await core.webhooks.list(actorOf(request));
      return {
        object_name: "list" as const,
        data: webhooks.map(renderWebhook),
        has_more: false,
        next_cursor: null,
        total: webhooks.length,
      };
    },
  );

  routes.get(
    "/webhooks/:id",
    { schema: { tags, summary: "Get an endpoint (administrators)", params: IdParams, response: { 200: Webhook } } },
    async (request) => renderWebhook(await core.webhooks.get(actorOf(request), webhookId(request.params.id))),
  );

  routes.patch(
    "/webhooks/:id",
    {
      schema: {
        tags,
        summary: "Change an endpoint's URL, events or state (administrators)",
        params: IdParams,
        body: WebhookUpdate,
        response: { 200: Webhook },
      },
    },
    async (request) =>
      renderWebhook(
        await core.webhooks.update(actorOf(request), webhookId(request.params.id), webhookInput(request.body)),
      ),
  );

  routes.delete(
    "/webhooks/:id",
    {
      schema: {
        tags,
        summary: "Remove an endpoint and its delivery records (administrators)",
        params: IdParams,
        response: { 200: Deleted },
      },
    },
    async (request) => {
      const id = webhookId(request.params.id);
      await core.webhooks.delete(actorOf(request), id);
      return { object_name: "webhook", id: String(id), deleted: true as const };
    },
  );

  routes.post(
    "/webhooks/:id/rotate_secret",
    {
      schema: {
        tags,
        summary: "Replace the signing secret; the answer holds the new one (administrators)",
        params: IdParams,
        response: { 200: Webhook },
      },
    },
    async (request) => renderWebhook(await core.webhooks.rotateSecret(actorOf(request), webhookId(request.params.id))),
  );

  routes.get(
    "/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        summary: "Deliveries to an endpoint, newest first (administrators)",
        params: IdParams,
        querystring: DeliveryListQuery,
        response: { 200: CountedListOf(WebhookDelivery) },
      },
    },
    async (request) => {
      const page = await core.webhooks.deliveries(actorOf(request), webhookId(request.params.id), request.query);
      return {
        object_name: "list" as const,
        data: page.data.map(renderDelivery),
        has_more: page.hasMore,
        next_cursor: null,
        total: page.total,
      };
    },
  );

  routes.get(
    "/webhooks/:id/deliveries/:deliveryId/attempts",
    {
      schema: {
        tags,
        summary: "Every attempt at a delivery, oldest first (administrators)",
        params: DeliveryParams,
        response: { 200: CountedListOf(WebhookAttempt) },
      },
    },
    async (request) => {
      const { id, deliveryId } = request.params;
      const attempts = await core.webhooks.attempts(actorOf(request), webhookId(id), parseId(deliveryId, "delivery"));
      return {
        object_name: "list" as const,
        data: attempts.map(renderAttempt),
        has_more: false,
        next_cursor: null,
        total: attempts.length,
      };
    },
  );

  routes.post(
    "/webhooks/:id/deliveries/:deliveryId/retry",
    {
      schema: {
        tags,
        summary: "Send a delivery again now (a failed one, or one waiting to retry) (administrators)",
        params: DeliveryParams,
        response: { 200: WebhookDelivery },
      },
    },
    async (request) => {
      const { id, deliveryId } = request.params;
      return renderDelivery(
        await core.webhooks.retry(actorOf(request), webhookId(id), parseId(deliveryId, "delivery")),
      );
    },
  );
}

function webhookInput(body: Static<typeof WebhookUpdate>): WebhookInput {
  return {
    url: body.url,
    events: body.events,
    description: body.description,
    includeSystemChanges: body.include_system_changes,
    active: body.active,
  };
}
