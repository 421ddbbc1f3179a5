import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderFollower } from "../render.js";
import { CountedListOf, Follower, FollowerParams, IdParams } from "../schemas.js";

const tags = ["followers"];
const FollowerList = CountedListOf(Follower);

/** Who follows a contact (and so is notified of what others do to it); `me` names the caller. */
export function followerRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const listOf = (followers: Awaited<ReturnType<Core["followers"]["list"]>>) => ({
    object_name: "list" as const,
    data: followers.map(renderFollower),
    has_more: false,
    next_cursor: null,
    total: followers.length,
  });
  const userOf = (request: FastifyRequest, text: string) =>
    text === "me" ? actorOf(request).userId : parseId(text, "user");

  routes.get(
    "/contacts/:id/followers",
    { schema: { tags, summary: "The contact's followers", params: IdParams, response: { 200: FollowerList } } },
    async (request) => listOf(await core.followers.list(actorOf(request), parseId(request.params.id, "contact"))),
  );

  routes.put(
    "/contacts/:id/followers/:userId",
    {
      schema: {
        tags,
        summary: "Follow a contact (me), or make a user follow it (administrators)",
        params: FollowerParams,
        response: { 200: FollowerList },
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      const contactId = parseId(id, "contact");
      return listOf(await core.followers.follow(actorOf(request), contactId, userOf(request, userId)));
    },
  );

  routes.delete(
    "/contacts/:id/followers/:userId",
    {
      schema: {
        tags,
        summary: "Stop following a contact (me), or stop a user following it (administrators)",
        params: FollowerParams,
        response: { 200: FollowerList },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const contactId = parseId(request.params.id, "contact");
      await core.followers.unfollow(actor, contactId, userOf(request, request.params.userId));
      return listOf(await core.followers.list(actor, contactId));
    },
  );
}
