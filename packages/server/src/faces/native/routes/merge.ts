import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { idValue } from "../params.js";
import { renderContact } from "../render.js";
import { IdValue } from "../schemas.js";

const MergeBody = Type.Object(
  {
    base_contact_id: IdValue,
    mergee_contact_id: IdValue,
    dry_run: Type.Optional(Type.Boolean({ description: "Show the result and what would move; change nothing" })),
  },
  { additionalProperties: false },
);

const Moved = Type.Object({
  conversations: Type.Integer(),
  contact_inboxes: Type.Integer(),
  comments: Type.Integer(),
  files: Type.Integer(),
  activities: Type.Integer(),
  labels: Type.Integer(),
  followers: Type.Integer(),
});

const MergeAnswer = Type.Object({
  object_name: Type.Literal("contact_merge"),
  dry_run: Type.Boolean(),
  contact: Type.Ref("Contact"),
  merged_contact_id: Type.String(),
  moved: Moved,
});

/** POST /contacts/merge: the mergee goes into the base, which is kept. */
export function mergeRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    "/contacts/merge",
    {
      schema: {
        tags: ["contacts"],
        summary: "Merge two contacts: the base is kept and takes over everything of the mergee, which is deleted",
        body: MergeBody,
        response: { 200: MergeAnswer },
      },
    },
    async (request) => {
      const body = request.body;
      const result = await core.contacts.merge(actorOf(request), {
        baseId: idValue(body.base_contact_id, "contact"),
        mergeeId: idValue(body.mergee_contact_id, "contact"),
        dryRun: body.dry_run,
      });
      return {
        object_name: "contact_merge" as const,
        dry_run: result.dryRun,
        contact: renderContact(result.contact, base(request)),
        merged_contact_id: String(result.mergee.id),
        moved: result.moved,
      };
    },
  );
}
