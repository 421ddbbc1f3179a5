import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { idValue, parseId, splitList } from "../params.js";
import { renderActivity, renderConversation, renderList } from "../render.js";
import {
  Activity,
  ContactConversationsQuery,
  Conversation,
  ConversationListQuery,
  ConversationUpdate,
  ConversationWrite,
  IdParams,
  ListOf,
  PageOnlyQuery,
} from "../schemas.js";

const tags = ["conversations"];
const optionalId = (value: string | undefined, resource: string) =>
  value === undefined ? undefined : parseId(value, resource);

export function conversationRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/conversations",
    {
      schema: {
        tags,
        summary: "Start a conversation with a contact in an inbox",
        body: ConversationWrite,
        response: { 201: Conversation },
      },
    },
    async (request, reply) => {
      const { contact_id, inbox_id, status, assignee_id, snoozed_until } = request.body;
      const conversation = await core.conversations.create(actorOf(request), {
        contactId: idValue(contact_id, "contact"),
        inboxId: idValue(inbox_id, "inbox"),
        status,
        assigneeId: assignee_id == null ? assignee_id : idValue(assignee_id, "user"),
        snoozedUntil: snoozed_until,
      });
      return reply.code(201).send(renderConversation(conversation));
    },
  );

  routes.get(
    "/conversations",
    {
      schema: {
        tags,
        summary: "List conversations, newest activity first",
        querystring: ConversationListQuery,
        response: { 200: ListOf(Conversation) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await core.conversations.list(actorOf(request), {
        contactId: optionalId(q.contact_id, "contact"),
        inboxId: optionalId(q.inbox_id, "inbox"),
        assigneeId: optionalId(q.assignee_id, "user"),
        statuses: splitList(q.status),
        channelTypes: splitList(q.channel_types),
        limit: q.limit,
        skip: q.skip,
      });
      return renderList(page.data.map(renderConversation), page.hasMore);
    },
  );

  routes.get(
    "/conversations/:id",
    { schema: { tags, summary: "Get a conversation", params: IdParams, response: { 200: Conversation } } },
    async (request) =>
      renderConversation(await core.conversations.get(actorOf(request), parseId(request.params.id, "conversation"))),
  );

  routes.patch(
    "/conversations/:id",
    {
      schema: {
        tags,
        summary: "Change status, assignee or labels",
        params: IdParams,
        body: ConversationUpdate,
        response: { 200: Conversation },
      },
    },
    async (request) => {
      const { status, assignee_id, snoozed_until, labels } = request.body;
      const conversation = await core.conversations.update(
        actorOf(request),
        parseId(request.params.id, "conversation"),
        {
          status,
          assigneeId: assignee_id == null ? assignee_id : idValue(assignee_id, "user"),
          snoozedUntil: snoozed_until,
          labels,
        },
      );
      return renderConversation(conversation);
    },
  );

  routes.get(
    "/conversations/:id/activities",
    {
      schema: {
        tags,
        summary: "A conversation's activity log, newest first",
        params: IdParams,
        querystring: PageOnlyQuery,
        response: { 200: ListOf(Activity) },
      },
    },
    async (request) => {
      const id = parseId(request.params.id, "conversation");
      const page = await core.conversations.activities(actorOf(request), id, request.query);
      return renderList(page.data.map(renderActivity), page.hasMore);
    },
  );

  routes.get(
    "/contacts/:id/conversations",
    {
      schema: {
        tags,
        summary: "A contact's conversations, newest activity first",
        params: IdParams,
        querystring: ContactConversationsQuery,
        response: { 200: ListOf(Conversation) },
      },
    },
    async (request) => {
      const { channel_types, ...page } = request.query;
      const result = await core.conversations.list(actorOf(request), {
        ...page,
        contactId: parseId(request.params.id, "contact"),
        channelTypes: splitList(channel_types),
      });
      return renderList(result.data.map(renderConversation), result.hasMore);
    },
  );
}
