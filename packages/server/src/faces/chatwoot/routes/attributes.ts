import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { chatwootContact } from "../contact-json.js";
import { pathId } from "../params.js";
import { CustomAttributeKeysBody, IdParams } from "../schemas.js";

/** Chatwoot's two ways to take something off a contact: custom attribute keys, and the avatar. */
export function attributeRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/contacts/:id/destroy_custom_attributes",
    { schema: { params: IdParams, body: CustomAttributeKeysBody } },
    async (request) => {
      const actor = actorOf(request);
      const id = pathId(request.params.id, "contact");
      // A key set to null is removed by the core's update.
      const removed = Object.fromEntries((request.body.custom_attributes ?? []).map((key) => [key, null]));
      await core.contacts.update(actor, id, { customAttributes: removed });
      return {
        payload: chatwootContact(await core.contacts.get(actor, id, { includeContactInboxes: true }), base(request)),
      };
    },
  );

  routes.delete("/contacts/:id/avatar", { schema: { params: IdParams } }, async (request) => {
    const contact = await core.avatars.remove(actorOf(request), pathId(request.params.id, "contact"));
    return { payload: chatwootContact(contact, base(request)) };
  });
}
