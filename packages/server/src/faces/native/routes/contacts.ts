import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { contactInputFrom, parseId, splitList } from "../params.js";
import { renderContact, renderList } from "../render.js";
import { ContactList, ContactWrite, Deleted, IdParams, ListQuery, LookupQuery, SearchQuery } from "../schemas.js";

const tags = ["contacts"];
const ContactRef = Type.Ref("Contact");

export function contactRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/contacts",
    {
      schema: {
        tags,
        summary: "Create a contact",
        description:
          "A contact with only a name is valid. 409 names the contact already holding an email, phone or identifier.",
        body: ContactWrite,
        response: { 201: ContactRef },
      },
    },
    async (request, reply) => {
      const contact = await core.contacts.create(actorOf(request), contactInputFrom(request.body));
      return reply.code(201).send(renderContact(contact));
    },
  );

  routes.get(
    "/contacts",
    {
      schema: {
        tags,
        summary: "List contacts",
        description: "Page with limit + skip, or follow next_cursor (constant cost at any depth).",
        querystring: ListQuery,
        response: { 200: ContactList },
      },
    },
    async (request) => {
      const { labels, ...query } = request.query;
      const page = await core.contacts.list(actorOf(request), { ...query, labels: splitList(labels) });
      return renderList(page.data.map(renderContact), page.hasMore, page.nextCursor);
    },
  );

  routes.get(
    "/contacts/search",
    {
      schema: {
        tags,
        summary: "Search contacts",
        description: "Case-insensitive substring match, ranked exact > prefix > substring, then by recent activity.",
        querystring: SearchQuery,
        response: { 200: ContactList },
      },
    },
    async (request) => {
      const { labels, ...query } = request.query;
      const page = await core.contacts.search(actorOf(request), { ...query, labels: splitList(labels) });
      return renderList(page.data.map(renderContact), page.hasMore);
    },
  );

  routes.get(
    "/contacts/lookup",
    {
      schema: {
        tags,
        summary: "Find a contact by exact email, phone number or identifier",
        querystring: LookupQuery,
        response: { 200: ContactRef },
      },
    },
    async (request) => {
      const { email, phone_number, identifier } = request.query;
      const contact = await core.contacts.lookup(actorOf(request), { email, phoneNumber: phone_number, identifier });
      return renderContact(contact);
    },
  );

  routes.get(
    "/contacts/:id",
    { schema: { tags, summary: "Get a contact", params: IdParams, response: { 200: ContactRef } } },
    async (request) => renderContact(await core.contacts.get(actorOf(request), parseId(request.params.id, "contact"))),
  );

  const update = {
    schema: {
      tags,
      summary: "Update a contact",
      description: "Only given fields change; attribute hashes are shallow-merged and a key set to null is removed.",
      params: IdParams,
      body: ContactWrite,
      response: { 200: ContactRef },
    },
  };
  for (const method of ["patch", "put"] as const) {
    routes[method]("/contacts/:id", update, async (request) => {
      const id = parseId(request.params.id, "contact");
      return renderContact(await core.contacts.update(actorOf(request), id, contactInputFrom(request.body ?? {})));
    });
  }

  routes.delete(
    "/contacts/:id",
    {
      schema: {
        tags,
        summary: "Delete a contact (administrators)",
        params: IdParams,
        response: { 200: Deleted },
      },
    },
    async (request) => {
      const id = parseId(request.params.id, "contact");
      await core.contacts.delete(actorOf(request), id);
      return { object_name: "contact", id: String(id), deleted: true as const };
    },
  );
}
