import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { chatwootContact } from "../contact-json.js";
import { ChatwootError, NOT_FOUND } from "../errors.js";
import { bodyId } from "../params.js";
import { MergeBody } from "../schemas.js";

/**
 * `POST /actions/contact_merge`: answers the base contact bare, without a payload wrapper or its
 * inboxes. Who may merge is the core's rule (the account's agents_can_merge setting).
 */
export function mergeRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post("/actions/contact_merge", { schema: { body: MergeBody } }, async (request) => {
    const actor = actorOf(request);
    const baseId = bodyId(request.body.base_contact_id, "contact");
    const mergeeId = bodyId(request.body.mergee_contact_id, "contact");
    if (baseId === undefined || mergeeId === undefined) throw new ChatwootError(404, NOT_FOUND);
    // Chatwoot answers a merge of a contact with itself with the contact, unchanged.
    const contact =
      baseId === mergeeId
        ? await core.contacts.get(actor, baseId)
        : (await core.contacts.merge(actor, { baseId, mergeeId })).contact;
    return chatwootContact(contact, base(request));
  });
}
