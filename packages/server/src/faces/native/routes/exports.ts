import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { DEFAULT_COLUMNS, EXPORT_SORT_KEYS } from "../../../core/exports/contacts-csv.js";
import type { ExportJob as ExportJobView } from "../../../core/exports/jobs.js";
import type { Core } from "../../../core/index.js";
import { contactsCsvName, sendCsv } from "../../../http/csv-response.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { parseId, splitList } from "../params.js";

const tags = ["contacts"];

const ListParam = (description: string) => Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 500, description });

const ExportFields = {
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
};

const ExportQuery = Type.Object(ExportFields, { additionalProperties: false });
/** The same choices for a background export, as a JSON body. */
const ExportRequest = Type.Object(ExportFields, { additionalProperties: false });

const ExportJob = Type.Object({
  object_name: Type.Literal("export"),
  id: Type.String(),
  status: Type.Unsafe<"queued" | "running" | "succeeded" | "failed">({
    type: "string",
    enum: ["queued", "running", "succeeded", "failed"],
  }),
  requested_by: Type.String(),
  byte_size: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  download_path: Type.Union([Type.String(), Type.Null()], { description: "When succeeded: GET it for the file" }),
  created_at: Type.String({ format: "date-time" }),
  started_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  finished_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

const ExportJobList = Type.Object({
  object_name: Type.Literal("list"),
  data: Type.Array(ExportJob),
  has_more: Type.Boolean(),
  next_cursor: Type.Null(),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

const CsvBody = {
  description: "RFC 4180 CSV with a header row, CRLF line endings",
  content: { "text/csv": { schema: { type: "string" } } },
};

function renderExportJob(job: ExportJobView) {
  return {
    object_name: "export" as const,
    id: String(job.id),
    status: job.status,
    requested_by: String(job.userId),
    byte_size: job.byteSize,
    error: job.error,
    download_path: job.status === "succeeded" ? `/v1/exports/${job.id}/download` : null,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}

export function exportRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const exportTags = ["exports"];

  routes.post(
    "/exports",
    {
      schema: {
        tags: exportTags,
        summary: "Export contacts as CSV in the background; you are notified (export_ready) when it is ready",
        body: ExportRequest,
        response: { 202: ExportJob },
      },
    },
    async (request, reply) => {
      const { columns, labels, ...rest } = request.body ?? {};
      const job = await core.exports.request(actorOf(request), {
        ...rest,
        columns: splitList(columns),
        labels: splitList(labels),
        baseUrl: base(request),
      });
      return reply.code(202).send(renderExportJob(job));
    },
  );

  routes.get(
    "/exports",
    {
      schema: {
        tags: exportTags,
        summary: "Your background exports (administrators: the account's), newest first",
        querystring: PageQuery,
        response: { 200: ExportJobList },
      },
    },
    async (request) => {
      const page = await core.exports.list(actorOf(request), request.query);
      return {
        object_name: "list" as const,
        data: page.data.map(renderExportJob),
        has_more: page.hasMore,
        next_cursor: null,
      };
    },
  );

  routes.get(
    "/exports/:id",
    { schema: { tags: exportTags, summary: "A background export", params: IdParams, response: { 200: ExportJob } } },
    async (request) => renderExportJob(await core.exports.get(actorOf(request), parseId(request.params.id, "export"))),
  );

  routes.get(
    "/exports/:id/download",
    {
      schema: {
        tags: exportTags,
        summary: "The finished export's CSV file (409 until it is ready)",
        params: IdParams,
        response: { 200: CsvBody },
      },
    },
    async (request, reply) => {
      const file = await core.exports.download(actorOf(request), parseId(request.params.id, "export"));
      return sendCsv(reply, file.filename, file.stream, file.byteSize);
    },
  );

  routes.get(
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
      return sendCsv(reply, contactsCsvName(new Date()), chunks);
    },
  );
}
