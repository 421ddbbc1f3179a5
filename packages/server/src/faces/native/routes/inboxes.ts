import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderInbox, renderList } from "../render.js";
import { Deleted, IdParams, Inbox, InboxUpdate, InboxWrite, ListOf } from "../schemas.js";

const tags = ["inboxes"];

export function inboxRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get(
    "/inboxes",
    { schema: { tags, summary: "The account's inboxes", response: { 200: ListOf(Inbox) } } },
    async (request) => renderList((await core.inboxes.list(actorOf(request))).map(renderInbox), false),
  );

  routes.post(
    "/inboxes",
    { schema: { tags, summary: "Create an inbox (administrators)", body: InboxWrite, response: { 201: Inbox } } },
    async (request, reply) => {
      const { name, channel_type, provider } = request.body;
      const inbox = await core.inboxes.create(actorOf(request), { name, channelType: channel_type, provider });
      return reply.code(201).send(renderInbox(inbox));
    },
  );

  routes.get(
    "/inboxes/:id",
    { schema: { tags, summary: "Get an inbox", params: IdParams, response: { 200: Inbox } } },
    async (request) => renderInbox(await core.inboxes.get(actorOf(request), parseId(request.params.id, "inbox"))),
  );

  routes.patch(
    "/inboxes/:id",
    {
      schema: {
        tags,
        summary: "Rename an inbox or change its provider (administrators)",
        params: IdParams,
        body: InboxUpdate,
        response: { 200: Inbox },
      },
    },
    async (request) => {
      const { name, channel_type, provider } = request.body;
      const id = parseId(request.params.id, "inbox");
      return renderInbox(
        await core.inboxes.update(actorOf(request), id, { name, channelType: channel_type, provider }),
      );
    },
  );

  routes.delete(
    "/inboxes/:id",
    {
      schema: {
        tags,
        summary: "Delete an inbox with its conversations and contact identities (administrators)",
        params: IdParams,
        response: { 200: Deleted },
      },
    },
    async (request) => {
      const id = parseId(request.params.id, "inbox");
      await core.inboxes.delete(actorOf(request), id);
      return { object_name: "inbox", id: String(id), deleted: true as const };
    },
  );
}
