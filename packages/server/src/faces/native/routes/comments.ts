import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderComment, renderList } from "../render.js";
import { Comment, CommentWrite, ContactCommentParams, Deleted, IdParams, ListOf, PageOnlyQuery } from "../schemas.js";

const tags = ["comments"];

export function commentRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const ids = (params: { id: string; commentId: string }) =>
    [parseId(params.id, "contact"), parseId(params.commentId, "comment")] as const;

  routes.post(
    "/contacts/:id/comments",
    {
      schema: {
        tags,
        summary: "Add an internal comment to a contact",
        params: IdParams,
        body: CommentWrite,
        response: { 201: Comment },
      },
    },
    async (request, reply) => {
      const comment = await core.comments.create(actorOf(request), parseId(request.params.id, "contact"), request.body);
      return reply.code(201).send(renderComment(comment));
    },
  );

  routes.get(
    "/contacts/:id/comments",
    {
      schema: {
        tags,
        summary: "A contact's comments, newest first",
        params: IdParams,
        querystring: PageOnlyQuery,
        response: { 200: ListOf(Comment) },
      },
    },
    async (request) => {
      const page = await core.comments.list(actorOf(request), parseId(request.params.id, "contact"), request.query);
      return renderList(page.data.map(renderComment), page.hasMore);
    },
  );

  routes.patch(
    "/contacts/:id/comments/:commentId",
    {
      schema: {
        tags,
        summary: "Edit a comment (its author or an administrator)",
        params: ContactCommentParams,
        body: CommentWrite,
        response: { 200: Comment },
      },
    },
    async (request) => {
      const [contactId, commentId] = ids(request.params);
      return renderComment(await core.comments.update(actorOf(request), contactId, commentId, request.body));
    },
  );

  routes.delete(
    "/contacts/:id/comments/:commentId",
    {
      schema: {
        tags,
        summary: "Delete a comment (its author or an administrator)",
        params: ContactCommentParams,
        response: { 200: Deleted },
      },
    },
    async (request) => {
      const [contactId, commentId] = ids(request.params);
      await core.comments.delete(actorOf(request), contactId, commentId);
      return { object_name: "comment", id: String(commentId), deleted: true as const };
    },
  );
}
