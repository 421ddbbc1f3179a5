import type { ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { FieldErrors } from "../../../core/errors.js";
import type { Core } from "../../../core/index.js";
import type { LiveSubscription } from "../../../core/notifications/live.js";
import type { Notification } from "../../../core/notifications/notification.js";
import { actorOf } from "../auth.js";
import { renderNotification } from "../render.js";
import { StreamQuery } from "../schemas.js";

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2000;

/**
 * GET /notifications/stream: the caller's notifications as Server-Sent Events, each with its id.
 * A client reconnecting with Last-Event-ID gets every notification after that id exactly once,
 * then live ones; without it the stream starts with the next new notification.
 */
export function notificationStreamRoute(app: FastifyInstance, core: Core): void {
  const open = new Set<ServerResponse>();
  // Open streams never end by themselves, so shutting down ends them.
  app.addHook("preClose", async () => {
    for (const response of open) response.end();
  });

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    "/notifications/stream",
    {
      schema: {
        tags: ["notifications"],
        summary: "Live notifications (text/event-stream); resume with the Last-Event-ID header",
        description:
          "Frames: `retry`, then `event: ready` (its id is the starting point), then `id: <notification id>` + `event: notification` + " +
          "`data: <notification JSON>` per notification, and `: keep-alive` comments every 15 s.",
        querystring: StreamQuery,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const afterId = await core.notifications.streamStart(actor, lastEventId(request, request.query.last_event_id));
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
      // A HEAD request learns that the stream would open, and gets no stream.
      if (request.method === "HEAD") {
        response.end();
        return;
      }
      // `ready` carries the starting point as its id, so a client that drops before any
      // notification arrives still resumes from exactly here.
      response.write(`retry: ${RETRY_MS}\n\nid: ${afterId}\nevent: ready\ndata: {}\n\n`);
      open.add(response);
      const failed = (err: unknown) => {
        request.log.error({ err }, "notification stream failed");
        response.end();
      };
      const send = (notification: Notification) => {
        const data = JSON.stringify(renderNotification(notification));
        response.write(`id: ${notification.id}\nevent: notification\ndata: ${data}\n\n`);
      };
      const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), HEARTBEAT_MS);
      let subscription: LiveSubscription | undefined;
      response.on("close", () => {
        clearInterval(heartbeat);
        open.delete(response);
        void subscription?.close();
      });
      subscription = await core.notifications.subscribe(actor, afterId, send, failed).catch((err) => {
        failed(err);
        return undefined;
      });
      // The client may have gone while subscribing.
      if (response.destroyed) await subscription?.close();
    },
  );
}

/** The id to resume after, from the Last-Event-ID header or the last_event_id query parameter. */
function lastEventId(request: FastifyRequest, fromQuery: string | undefined): number | undefined {
  const header = request.headers["last-event-id"];
  const text = (typeof header === "string" ? header : undefined) ?? fromQuery;
  if (text === undefined || text.trim() === "") return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) {
    const errors = new FieldErrors();
    errors.add("last_event_id", "invalid_value", "must be the id of a notification this stream sent");
    errors.throwIfAny();
  }
  return Number(text.trim());
}
