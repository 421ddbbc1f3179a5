import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { ValidationError } from "../../../core/errors.js";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { chatwootContact, chatwootContactInbox } from "../contact-json.js";
import { ChatwootError } from "../errors.js";
import {
  bodyId,
  contactInputOf,
  currentPage,
  includeInboxes,
  labelsOf,
  pageOf,
  pathId,
  sortOf,
  sourceIdOf,
} from "../params.js";
import { ContactCreateBody, ContactUpdateBody, IdParams, ListQuery, SearchQuery, ShowQuery } from "../schemas.js";

/** Index, search, show, create, update and delete, in Chatwoot's envelopes. */
export function contactRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get("/contacts", { schema: { querystring: ListQuery } }, async (request) => {
    const query = request.query;
    const page = await core.contacts.list(actorOf(request), {
      ...pageOf(query.page),
      ...sortOf(query.sort),
      labels: labelsOf(query["labels[]"], query.labels),
      includeContactInboxes: includeInboxes(query.include_contact_inboxes),
      withTotal: true,
    });
    return {
      meta: { count: page.total ?? 0, current_page: currentPage(query.page) },
      payload: page.data.map((contact) => chatwootContact(contact, base(request))),
    };
  });

  routes.get("/contacts/search", { schema: { querystring: SearchQuery } }, async (request) => {
    const query = request.query;
    const page = await core.contacts
      .search(actorOf(request), {
        q: query.q ?? "",
        ...pageOf(query.page),
        ...sortOf(query.sort),
        includeContactInboxes: includeInboxes(query.include_contact_inboxes),
      })
      .catch((error: unknown) => {
        throw isMissingTerm(error)
          ? new ChatwootError(422, { error: "Specify search string with parameter q" })
          : error;
      });
    return {
      // Chatwoot counts the page here, not every match.
      meta: { count: page.data.length, current_page: currentPage(query.page), has_more: page.hasMore },
      payload: page.data.map((contact) => chatwootContact(contact, base(request))),
    };
  });

  routes.get("/contacts/:id", { schema: { params: IdParams, querystring: ShowQuery } }, async (request) => {
    const contact = await core.contacts.get(actorOf(request), pathId(request.params.id, "contact"), {
      includeContactInboxes: includeInboxes(request.query.include_contact_inboxes),
    });
    return { payload: chatwootContact(contact, base(request)) };
  });

  routes.post("/contacts", { schema: { body: ContactCreateBody } }, async (request) => {
    const body = request.body;
    const inboxId = bodyId(body.inbox_id, "inbox");
    const inbox = inboxId === undefined ? undefined : { inboxId, sourceId: sourceIdOf(body.source_id) };
    const contact = await core.contacts.create(actorOf(request), contactInputOf(body), inbox);
    const created = contact.contactInboxes?.[0];
    return {
      payload: {
        contact: chatwootContact({ ...contact, contactInboxes: contact.contactInboxes ?? [] }, base(request)),
        contact_inbox: created ? chatwootContactInbox(created) : { inbox: null, source_id: null },
      },
    };
  });

  const update = { schema: { params: IdParams, querystring: ShowQuery, body: ContactUpdateBody } };
  for (const method of ["put", "patch"] as const) {
    routes[method]("/contacts/:id", update, async (request) => {
      const actor = actorOf(request);
      const id = pathId(request.params.id, "contact");
      const updated = await core.contacts.update(actor, id, contactInputOf(request.body));
      const contact = includeInboxes(request.query.include_contact_inboxes)
        ? await core.contacts.get(actor, id, { includeContactInboxes: true })
        : updated;
      return { payload: chatwootContact(contact, base(request)) };
    });
  }

  routes.delete("/contacts/:id", { schema: { params: IdParams } }, async (request, reply) => {
    await core.contacts.delete(actorOf(request), pathId(request.params.id, "contact"));
    return reply.code(200).send();
  });
}

/** The core's "give a search term": Chatwoot words it its own way. */
function isMissingTerm(error: unknown): boolean {
  return error instanceof ValidationError && error.fields.some((f) => f.field === "q" && f.code === "required");
}
