import { Readable } from "node:stream";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { DEFAULT_COLUMNS, EXPORT_SORT_KEYS } from "../../../core/exports/contacts-csv.js";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { splitList } from "../params.js";
import type { BaseUrl } from "../urls.js";

const tags = ["contacts"];

const ListParam = (description: string) => Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 500, description });

const ExportQuery = Type.Object(
  {
    columns: Type.Optional(
      ListParam(
        `Columns in order (repeat the parameter or separate with commas). Default ${DEFAULT_COLUMNS.join(",")}. ` +
          "Also display_name, phone_number_raw, avatar_url, additional_attributes, custom_attributes (as JSON), " +
          "and additional_attributes.<key> or custom_attributes.<key> for one attribute.",
      ),
    ),
    q: Type.Optional(Type.String({ maxLength: 1024, description: "Only contacts that search matches" })),
    labels: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        maxItems: 100,
        description: "Only contacts with any of these labels (repeat the parameter or separate with commas)",
      }),
    ),
    sort: Type.Optional(
      Type.Unsafe<(typeof EXPORT_SORT_KEYS)[number]>({
        type: "string",
        enum: [...EXPORT_SORT_KEYS],
        description: "Default id; the others order as in the contact list",
      }),
    ),
    direction: Type.Optional(
      Type.Unsafe<"asc" | "desc">({
        type: "string",
        enum: ["asc", "desc"],
        description: "Default desc for times, asc otherwise",
      }),
    ),
    bom: Type.Optional(Type.Boolean({ description: "Start with a UTF-8 byte order mark (for Excel)" })),
  },
  { additionalProperties: false },
);

const CsvBody = {
  description: "RFC 4180 CSV with a header row, CRLF line endings",
  content: { "text/csv": { schema: { type: "string" } } },
};

/** `contacts-2026-11-22.csv`: the UTC date the export was taken. */
function fileName(now: Date): string {
  return `contacts-${now.toISOString().slice(0, 10)}.csv`;
}

export function exportRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    "/contacts/export.csv",
    {
      schema: {
        tags,
        summary: "Export contacts as CSV (streamed)",
        description:
          "All contacts, or those matching q and/or labels, in keyset order (default id ascending). " +
          "Text cells starting with = + - @ tab or CR get a leading ' so spreadsheets do not run them; " +
          "E.164 phone numbers are left as they are. 422 names an unknown column before anything is sent.",
        querystring: ExportQuery,
        response: { 200: CsvBody },
      },
    },
    async (request, reply) => {
      const { columns, labels, ...rest } = request.query;
      // Resolves once the options are valid and the first batch is read: errors still get a JSON body.
      const chunks = await core.exports.contactsCsv(actorOf(request), {
        ...rest,
        columns: splitList(columns),
        labels: splitList(labels),
        baseUrl: base(request),
      });
      // Readable.from pulls the next batch only when the socket has drained (pipe's backpressure),
      // and a client that goes away ends the generator, so no further batches are read.
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${fileName(new Date())}"`)
        .header("cache-control", "private, no-store")
        .header("x-content-type-options", "nosniff")
        .send(Readable.from(chunks));
    },
  );
}
