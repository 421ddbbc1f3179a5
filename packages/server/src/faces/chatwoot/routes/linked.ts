import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { chatwootContactInbox, chatwootInboxSlim } from "../contact-json.js";
import { ChatwootError, NOT_FOUND } from "../errors.js";
import { bodyId, pathId, sourceIdOf } from "../params.js";
import { chatwootConversation } from "../render.js";
import { ContactInboxBody, IdParams } from "../schemas.js";

/** Chatwoot answers a contact's conversations in one list of at most 20, with no paging. */
const CONVERSATIONS = 20;

/** A contact's inbox identities, the inboxes that can reach it, and its conversations. */
export function linkedRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/contacts/:id/contact_inboxes",
    { schema: { params: IdParams, body: ContactInboxBody } },
    async (request) => {
      const { inbox_id, source_id, hmac_verified } = request.body;
      const inboxId = bodyId(inbox_id, "inbox");
      if (inboxId === undefined) throw new ChatwootError(404, NOT_FOUND);
      const contactInbox = await core.contacts.attachToInbox(actorOf(request), pathId(request.params.id, "contact"), {
        inboxId,
        sourceId: sourceIdOf(source_id),
        hmacVerified: hmac_verified,
      });
      return chatwootContactInbox(contactInbox);
    },
  );

  routes.get("/contacts/:id/contactable_inboxes", { schema: { params: IdParams } }, async (request) => {
    const offered = await core.inboxes.contactable(actorOf(request), pathId(request.params.id, "contact"));
    return {
      payload: offered.map(({ sourceId, inbox }) => ({ source_id: sourceId, inbox: chatwootInboxSlim(inbox) })),
    };
  });

  routes.get("/contacts/:id/conversations", { schema: { params: IdParams } }, async (request) => {
    const actor = actorOf(request);
    const contactId = pathId(request.params.id, "contact");
    const contact = await core.contacts.get(actor, contactId);
    const page = await core.conversations.list(actor, { contactId, limit: CONVERSATIONS });
    return { payload: page.data.map((conversation) => chatwootConversation(conversation, contact, base(request))) };
  });
}
