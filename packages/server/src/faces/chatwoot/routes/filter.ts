import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { chatwootContact } from "../contact-json.js";
import { currentPage, includeInboxes, pageOf, sortOf } from "../params.js";
import { FilterBody, PageQuery } from "../schemas.js";

/**
 * `POST /contacts/filter` with `{payload: [{attribute_key, filter_operator, values, query_operator}]}`.
 * Its errors are 422 `{error}` in Chatwoot's words (errors.ts).
 */
export function filterRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post("/contacts/filter", { schema: { querystring: PageQuery, body: FilterBody } }, async (request) => {
    const query = request.query;
    const conditions = request.body.payload.map((condition) => ({
      attributeKey: condition.attribute_key ?? "",
      operator: condition.filter_operator ?? "",
      // A single value sent bare counts as a list of one, as Chatwoot's string handling allows.
      values: valuesOf(condition.values),
      queryOperator: condition.query_operator,
    }));
    const page = await core.contacts.filter(actorOf(request), {
      conditions,
      ...pageOf(query.page),
      ...sortOf(query.sort),
      includeContactInboxes: includeInboxes(query.include_contact_inboxes),
    });
    return {
      meta: { count: page.total, current_page: currentPage(query.page) },
      payload: page.data.map((contact) => chatwootContact(contact, base(request))),
    };
  });
}

function valuesOf(values: unknown): unknown[] {
  if (values === undefined || values === null || values === "") return [];
  return Array.isArray(values) ? values : [values];
}
