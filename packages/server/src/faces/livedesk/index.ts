import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { SORT_KEYS } from "../../core/contacts/contact.js";
import { AuthenticationError } from "../../core/errors.js";
import type { Core } from "../../core/index.js";
import { actorHook } from "../../http/actor-hook.js";
import { credentialsFrom } from "../../http/authorization.js";
import { StringEnum } from "../../http/schema.js";
import { baseUrlFrom } from "../../http/urls.js";
import { chatwootContact } from "../chatwoot/contact-json.js";
import { sendLivedeskError } from "./errors.js";

/** 15 a page unless `page_size` says otherwise, as LiveDesk documents. */
const PAGE_SIZE = 15;
const MAX_PAGE_SIZE = 200;

const Labels = Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 });

const ContactsQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  labels: Type.Optional(Labels),
  "labels[]": Type.Optional(Labels),
  include_contact_inboxes: Type.Optional(Type.Boolean()),
  sort: Type.Optional(StringEnum(SORT_KEYS)),
  direction: Type.Optional(StringEnum(["asc", "desc"] as const)),
});

/**
 * EngageLab LiveDesk's API v2 contact listing: `GET /api/v2/accounts/contacts`. The account is the
 * Basic credential's; the contact JSON is Chatwoot's (LiveDesk shares it), in `{meta, payload}`.
 */
export async function livedeskFace(app: FastifyInstance, options: { core: Core; publicUrl?: string }): Promise<void> {
  const { core } = options;
  const base = baseUrlFrom(options.publicUrl);
  app.setErrorHandler((error, request, reply) => sendLivedeskError(error, request, reply));
  app.addHook(
    "onRequest",
    actorHook(core, (request) => {
      const credentials = credentialsFrom(request.headers.authorization);
      if (!credentials) throw new AuthenticationError("Send Authorization: Basic base64(api_key:api_secret)");
      return core.auth.authenticate(credentials.key, credentials.secret);
    }),
  );

  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get("/api/v2/accounts/contacts", { schema: { hide: true, querystring: ContactsQuery } }, async (request) => {
      const actor = request.actor;
      if (!actor) throw new AuthenticationError();
      const query = request.query;
      const limit = query.page_size ?? PAGE_SIZE;
      const page = {
        limit,
        skip: ((query.page ?? 1) - 1) * limit,
        labels: [...(query.labels ?? []), ...(query["labels[]"] ?? [])],
        includeContactInboxes: query.include_contact_inboxes ?? true,
        sort: query.sort,
        direction: query.direction,
        withTotal: true,
      };
      const q = query.q?.trim();
      const found = q ? await core.contacts.search(actor, { ...page, q }) : await core.contacts.list(actor, page);
      const origin = base(request);
      return {
        // The page as it was sent (a string), or the number 1 by default, as LiveDesk answers.
        meta: { count: found.total ?? 0, current_page: rawPage(request.query) ?? 1 },
        payload: found.data.map((contact) => chatwootContact(contact, origin)),
      };
    });
}

function rawPage(query: unknown): string | undefined {
  const raw = (query as { page?: unknown }).page;
  return raw === undefined ? undefined : String(raw);
}
