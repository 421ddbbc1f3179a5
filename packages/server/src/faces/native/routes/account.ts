import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderApiKey, renderList, renderUser } from "../render.js";
import { ApiKey, ApiKeyWrite, IdParams, ListOf, Me, User, UserWrite } from "../schemas.js";

const tags = ["account"];

export function accountRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  const Settings = Type.Object({
    object_name: Type.Literal("account_settings"),
    agents_can_merge: Type.Boolean({ description: "Whether agents may merge contacts (administrators always may)" }),
  });
  const SettingsUpdate = Type.Object(
    { agents_can_merge: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  );
  const renderSettings = (settings: { agentsCanMerge: boolean }) => ({
    object_name: "account_settings" as const,
    agents_can_merge: settings.agentsCanMerge,
  });

  routes.get(
    "/account/settings",
    { schema: { tags, summary: "The account's settings", response: { 200: Settings } } },
    async (request) => renderSettings(await core.account.settings(actorOf(request))),
  );

  routes.patch(
    "/account/settings",
    {
      schema: {
        tags,
        summary: "Change the account's settings (administrators)",
        body: SettingsUpdate,
        response: { 200: Settings },
      },
    },
    async (request) =>
      renderSettings(
        await core.account.updateSettings(actorOf(request), { agentsCanMerge: request.body.agents_can_merge }),
      ),
  );

  routes.get(
    "/me",
    { schema: { tags, summary: "Who this credential acts as", response: { 200: Me } } },
    async (request) => {
      const me = await core.auth.whoAmI(actorOf(request));
      return {
        object_name: "me" as const,
        user: renderUser(me.user),
        organization: { id: String(me.account.id), name: me.account.name },
        api_key_id: String(me.credentialId),
      };
    },
  );

  routes.get(
    "/users",
    { schema: { tags, summary: "Users of the account (administrators)", response: { 200: ListOf(User) } } },
    async (request) => renderList((await core.auth.listUsers(actorOf(request))).map(renderUser), false),
  );

  routes.post(
    "/users",
    { schema: { tags, summary: "Add a user (administrators)", body: UserWrite, response: { 201: User } } },
    async (request, reply) =>
      reply.code(201).send(renderUser(await core.auth.createUser(actorOf(request), request.body))),
  );

  routes.post(
    "/users/:id/api_keys",
    {
      config: { secretInAnswer: true },
      schema: {
        tags,
        summary: "Issue an API key for a user (administrators); the secret is shown only here",
        params: IdParams,
        body: ApiKeyWrite,
        response: { 201: ApiKey },
      },
    },
    async (request, reply) => {
      const userId = parseId(request.params.id, "user");
      const apiKey = await core.auth.createApiKey(actorOf(request), { userId, name: request.body?.name });
      return reply.code(201).send(renderApiKey(apiKey));
    },
  );

  routes.get(
    "/api_keys",
    { schema: { tags, summary: "The account's API keys (administrators)", response: { 200: ListOf(ApiKey) } } },
    async (request) => renderList((await core.auth.listApiKeys(actorOf(request))).map(renderApiKey), false),
  );

  routes.delete(
    "/api_keys/:id",
    {
      schema: {
        tags,
        summary: "Revoke an API key (administrators); takes effect at once",
        params: IdParams,
        response: { 200: ApiKey },
      },
    },
    async (request) =>
      renderApiKey(await core.auth.revokeApiKey(actorOf(request), parseId(request.params.id, "api_key"))),
  );
}
