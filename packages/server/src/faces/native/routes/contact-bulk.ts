import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import {
  BATCH_OPS,
  type BatchOperation,
  type BatchOutcome,
  MAX_BATCH_OPERATIONS,
} from "../../../core/contacts/batch.js";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { nativeErrorObject } from "../error-body.js";
import { contactInputFrom, idValue } from "../params.js";
import { renderContact } from "../render.js";
import { ContactWrite, IdValue } from "../schemas.js";

const tags = ["contacts"];
const ContactRef = Type.Ref("Contact");

const BatchOpName = Type.Unsafe<(typeof BATCH_OPS)[number]>({ type: "string", enum: [...BATCH_OPS] });

const BatchRequest = Type.Object(
  {
    operations: Type.Array(
      Type.Object(
        {
          op: BatchOpName,
          id: Type.Optional(IdValue),
          data: Type.Optional(ContactWrite),
          ref: Type.Optional(Type.String({ maxLength: 255, description: "Yours, echoed back in the result" })),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_BATCH_OPERATIONS, description: `At most ${MAX_BATCH_OPERATIONS}, run in order` },
    ),
  },
  { additionalProperties: false },
);

const BatchResponse = Type.Object({
  object_name: Type.Literal("batch"),
  results: Type.Array(
    Type.Object({
      index: Type.Integer({ description: "Position in operations" }),
      ref: Type.Optional(Type.String()),
      op: BatchOpName,
      status: Type.Integer({
        description: "What the single request would have answered: 200, 201, 403, 404, 409, 422",
      }),
      id: Type.Optional(Type.String({ description: "The contact's id, when known" })),
      contact: Type.Optional(ContactRef),
      error: Type.Optional(Type.Ref("Error#/properties/error")),
    }),
  ),
  counts: Type.Object({ succeeded: Type.Integer(), failed: Type.Integer() }),
});

export function contactBulkRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/contacts/upsert",
    {
      schema: {
        tags,
        summary: "Create or update a contact matched by identifier, email or phone number",
        description:
          "Matches by identifier, then email, then phone number (any format); updates the match like PATCH (201 when created, 200 when updated). Keys matching different contacts: 409.",
        body: ContactWrite,
        response: { 200: ContactRef, 201: ContactRef },
      },
    },
    async (request, reply) => {
      const { contact, created } = await core.contacts.upsert(actorOf(request), contactInputFrom(request.body));
      return reply.code(created ? 201 : 200).send(renderContact(contact, base(request)));
    },
  );

  routes.post(
    "/contacts/batch",
    {
      schema: {
        tags,
        summary: "Create, update, upsert and delete contacts in one request",
        description: `Up to ${MAX_BATCH_OPERATIONS} operations, run in order, each on its own: one failing changes nothing and does not stop the others. Each result has the status and body its single request would have had.`,
        body: BatchRequest,
        response: { 200: BatchResponse },
      },
    },
    async (request) => {
      const given = request.body.operations;
      const operations: BatchOperation[] = given.map(({ op, id, data }) => ({
        op,
        ...(id === undefined ? {} : { id: idValue(id, "contact") }),
        ...(data === undefined ? {} : { input: contactInputFrom(data) }),
      }));
      const outcomes = await core.contacts.batch(actorOf(request), operations);
      const origin = base(request);
      const results = outcomes.map((outcome, index) => {
        const ref = given[index]?.ref;
        return { index, ...(ref === undefined ? {} : { ref }), ...renderOutcome(outcome, index, request, origin) };
      });
      const failed = results.filter((result) => result.status >= 400).length;
      return { object_name: "batch" as const, results, counts: { succeeded: results.length - failed, failed } };
    },
  );
}

/** One outcome as its single request would have answered: the status, and the contact or the error object. */
function renderOutcome(outcome: BatchOutcome, index: number, request: FastifyRequest, origin: string) {
  const { op } = outcome;
  switch (outcome.result) {
    case "failed": {
      const { problem, body } = nativeErrorObject(outcome.error, request.id);
      if (problem.status >= 500) request.log.error({ err: outcome.error, index }, "batch operation failed");
      return {
        op,
        status: problem.status,
        ...(outcome.id === undefined ? {} : { id: String(outcome.id) }),
        error: body,
      };
    }
    case "deleted":
      return { op, status: 200, id: String(outcome.id) };
    default: {
      const contact = renderContact(outcome.contact, origin);
      return { op, status: outcome.result === "created" ? 201 : 200, id: contact.id, contact };
    }
  }
}
