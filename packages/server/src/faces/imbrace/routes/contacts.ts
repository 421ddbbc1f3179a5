import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { type Contact, SORT_KEYS } from "../../../core/contacts/contact.js";
import { EXPORT_SORT_KEYS } from "../../../core/exports/contacts-csv.js";
import type { Core } from "../../../core/index.js";
import { contactsCsvName, sendCsv } from "../../../http/csv-response.js";
import type { BaseUrl } from "../../../http/urls.js";
import { renderContact } from "../../native/render.js";
import { actorOf } from "../auth.js";
import { contactInputFrom, parseId, sortFrom } from "../params.js";
import { renderPage } from "../render.js";
import { ContactListQuery, ContactUpdate, ExportQuery, IdParams, SearchQuery } from "../schemas.js";

/** list, get, update, search and exportCsv of the SDK's `client.contacts`. */
export function contactRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get("/contacts", { schema: { querystring: ContactListQuery } }, async (request) => {
    const { limit, skip, sort } = request.query;
    const page = await core.contacts.list(actorOf(request), {
      limit,
      skip,
      ...sortFrom(sort, SORT_KEYS),
      withTotal: true,
    });
    return contactPage(page, base(request));
  });

  // `type=text` (the only search type the SDK sends) is accepted and ignored.
  routes.get("/contacts/_search", { schema: { querystring: SearchQuery } }, async (request) => {
    const { q, limit, skip, sort } = request.query;
    const page = await core.contacts.search(actorOf(request), {
      q,
      limit,
      skip,
      ...sortFrom(sort, SORT_KEYS),
      withTotal: true,
    });
    return contactPage(page, base(request));
  });

  routes.get("/contacts/_export_csv", { schema: { querystring: ExportQuery } }, async (request, reply) => {
    // Resolves once the options are valid and the first batch is read: errors still get a JSON body.
    const chunks = await core.exports.contactsCsv(actorOf(request), {
      ...sortFrom(request.query.sort, EXPORT_SORT_KEYS),
      baseUrl: base(request),
    });
    return sendCsv(reply, contactsCsvName(new Date()), chunks);
  });

  routes.get("/contacts/:id", { schema: { params: IdParams } }, async (request) => {
    const contact = await core.contacts.get(actorOf(request), parseId(request.params.id, "contact"));
    return renderContact(contact, base(request));
  });

  routes.put("/contacts/:id", { schema: { params: IdParams, body: ContactUpdate } }, async (request) => {
    const id = parseId(request.params.id, "contact");
    const contact = await core.contacts.update(actorOf(request), id, contactInputFrom(request.body));
    return renderContact(contact, base(request));
  });
}

function contactPage(page: { data: Contact[]; hasMore: boolean; total?: number }, origin: string) {
  return renderPage(
    page.data.map((contact) => renderContact(contact, origin)),
    page.hasMore,
    page.total ?? 0,
  );
}
