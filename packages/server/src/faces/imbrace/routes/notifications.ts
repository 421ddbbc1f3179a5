import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { notificationIdsFrom, requireNotificationIds } from "../params.js";
import { renderImbraceNotification, renderPage } from "../render.js";
import { NotificationIds, PageQuery } from "../schemas.js";

/**
 * The caller's own notifications. An id that is not the caller's is a 404 and changes nothing,
 * even next to ids that are.
 */
export function notificationRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get("/notifications", { schema: { querystring: PageQuery } }, async (request) => {
    const actor = actorOf(request);
    const page = await core.notifications.list(actor, request.query);
    const data = page.data.map((notification) => renderImbraceNotification(notification, actor.userId));
    return { ...renderPage(data, page.hasMore, page.total), unread_count: page.unreadCount };
  });

  // No ids (no body, `{}`, `[]`) marks every notification read, as the Python SDK's call without ids expects.
  routes.put("/notifications/read", { schema: { body: NotificationIds } }, async (request) => {
    const ids = notificationIdsFrom(request.body);
    await core.notifications.markRead(actorOf(request), ids.length > 0 ? ids : undefined);
    return { success: true };
  });

  routes.delete("/notifications/dismiss", { schema: { body: NotificationIds } }, async (request) => {
    const ids = requireNotificationIds(notificationIdsFrom(request.body));
    await core.notifications.dismissMany(actorOf(request), ids);
    return { success: true };
  });

  // `?type=conversations` narrows nothing: every notification here concerns contacts and their conversations.
  routes.delete("/notifications/dismiss/all", async (request) => {
    const count = await core.notifications.dismissAll(actorOf(request));
    return { success: true, count };
  });
}
