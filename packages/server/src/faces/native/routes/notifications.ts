import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { idValue, parseId } from "../params.js";
import { renderNotification } from "../render.js";
import { IdParams, NotificationIds, NotificationList, PageOnlyQuery } from "../schemas.js";

const tags = ["notifications"];
const Done = Type.Object({ object_name: Type.String(), ok: Type.Literal(true), count: Type.Optional(Type.Integer()) });

/** The acting user's own notifications; another user's ids are 404 and change nothing. */
export function notificationRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get(
    "/notifications",
    {
      schema: {
        tags,
        summary: "Your notifications, newest first, with unread_count and total",
        querystring: PageOnlyQuery,
        response: { 200: NotificationList },
      },
    },
    async (request) => {
      const page = await core.notifications.list(actorOf(request), request.query);
      return {
        object_name: "list" as const,
        data: page.data.map(renderNotification),
        has_more: page.hasMore,
        next_cursor: null,
        total: page.total,
        unread_count: page.unreadCount,
      };
    },
  );

  routes.post(
    "/notifications/read",
    {
      schema: {
        tags,
        summary: "Mark notifications read (no ids: all)",
        body: NotificationIds,
        response: { 200: Done },
      },
    },
    async (request) => {
      const ids = request.body?.ids?.map((id) => idValue(id, "notification"));
      await core.notifications.markRead(actorOf(request), ids);
      return { object_name: "notifications.read", ok: true as const };
    },
  );

  routes.delete(
    "/notifications/:id",
    { schema: { tags, summary: "Dismiss one notification", params: IdParams, response: { 200: Done } } },
    async (request) => {
      await core.notifications.dismiss(actorOf(request), parseId(request.params.id, "notification"));
      return { object_name: "notification.dismissed", ok: true as const };
    },
  );

  routes.delete(
    "/notifications",
    { schema: { tags, summary: "Dismiss all your notifications", response: { 200: Done } } },
    async (request) => {
      const count = await core.notifications.dismissAll(actorOf(request));
      return { object_name: "notifications.dismissed", ok: true as const, count };
    },
  );
}
