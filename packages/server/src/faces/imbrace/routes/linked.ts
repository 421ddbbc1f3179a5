import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { sendAttachment } from "../../../http/download.js";
import type { BaseUrl } from "../../../http/urls.js";
import { renderComment } from "../../native/render.js";
import { actorOf } from "../auth.js";
import { channelTypesFrom, parseId } from "../params.js";
import { renderImbraceActivity, renderImbraceConversation, renderImbraceFile, renderPage } from "../render.js";
import { ChannelPageQuery, FileParams, IdParams, PageQuery } from "../schemas.js";

/** What hangs off a contact: getConversations, getComments, getFiles and getActivities. */
export function linkedRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const faceUrl = (origin: string) => `${origin}${app.prefix}`;

  routes.get(
    "/contacts/:id/conversations",
    { schema: { params: IdParams, querystring: ChannelPageQuery } },
    async (request) => {
      const actor = actorOf(request);
      const contactId = parseId(request.params.id, "contact");
      const { limit, skip, channel_types } = request.query;
      const channelTypes = channelTypesFrom(channel_types);
      if (channelTypes === null) {
        // Only channels contactd has no inboxes for: the contact exists, and has none there.
        await core.contacts.get(actor, contactId);
        return renderPage([], false, 0);
      }
      const page = await core.conversations.list(actor, { contactId, channelTypes, limit, skip, withTotal: true });
      return renderPage(page.data.map(renderImbraceConversation), page.hasMore, page.total ?? 0);
    },
  );

  // Comments belong to the contact, not to a channel: `channel_types` is accepted and ignored.
  routes.get(
    "/contacts/:id/comments",
    { schema: { params: IdParams, querystring: ChannelPageQuery } },
    async (request) => {
      const { limit, skip } = request.query;
      const contactId = parseId(request.params.id, "contact");
      const page = await core.comments.list(actorOf(request), contactId, { limit, skip, withTotal: true });
      return renderPage(page.data.map(renderComment), page.hasMore, page.total ?? 0);
    },
  );

  // A bare array, as the service answers and the SDK's type (`ContactFile[]`) says; newest first.
  routes.get("/contact/:id/files", { schema: { params: IdParams, querystring: PageQuery } }, async (request) => {
    const page = await core.files.list(actorOf(request), parseId(request.params.id, "contact"), request.query);
    const url = faceUrl(base(request));
    return page.data.map((file) => renderImbraceFile(file, url));
  });

  routes.get("/contact/:id/files/:fileId/download", { schema: { params: FileParams } }, async (request, reply) => {
    const contactId = parseId(request.params.id, "contact");
    const fileId = parseId(request.params.fileId, "file");
    const { file, stream } = await core.files.download(actorOf(request), contactId, fileId);
    return sendAttachment(reply, file, stream);
  });

  routes.get(
    "/conversations_activities/:id",
    { schema: { params: IdParams, querystring: PageQuery } },
    async (request) => {
      const id = parseId(request.params.id, "conversation");
      const { limit, skip } = request.query;
      const page = await core.conversations.activities(actorOf(request), id, { limit, skip, withTotal: true });
      return renderPage(page.data.map(renderImbraceActivity), page.hasMore, page.total ?? 0);
    },
  );
}
