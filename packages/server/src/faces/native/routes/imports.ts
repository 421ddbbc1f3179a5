import multipart, { type Multipart, type MultipartFile } from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { BadRequestError, DomainError, ValidationError } from "../../../core/errors.js";
import type { ContactImport } from "../../../core/imports/import.js";
import type { ImportUpload } from "../../../core/imports/start.js";
import type { Core } from "../../../core/index.js";
import { sendCsv } from "../../../http/csv-response.js";
import { multipartOnly } from "../../../http/multipart.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderList } from "../render.js";
import { IdParams, ListOf } from "../schemas.js";

const tags = ["imports"];

const Count = (description: string) => Type.Integer({ description });

const ImportBody = Type.Object({
  object_name: Type.Literal("import"),
  id: Type.String(),
  status: Type.Union([
    Type.Literal("queued"),
    Type.Literal("running"),
    Type.Literal("succeeded"),
    Type.Literal("failed"),
  ]),
  dry_run: Type.Boolean({ description: "Nothing is written; the counts say what would happen" }),
  file_name: Type.String(),
  byte_size: Type.Integer(),
  unknown_columns: Type.Union([Type.Literal("ignore"), Type.Literal("custom_attributes")]),
  match: Type.Array(Type.String(), { description: "Keys existing contacts are matched by, in order" }),
  started_by: Type.Union([Type.String(), Type.Null()], { description: "The user who started the import" }),
  total_rows: Count("Data rows in the file (known once the worker has read it through)"),
  processed_rows: Count("Rows done so far"),
  created: Count("Rows that created a contact"),
  updated: Count("Rows that updated an existing contact"),
  skipped: Count("Rows left out (duplicates in the file, rows with no values)"),
  failed: Count("Rows refused (invalid values, clashes); see failed_rows.csv"),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()], {
    description: "Why the whole import failed",
  }),
  created_at: Type.String({ format: "date-time" }),
  started_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  finished_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: "1 to 200, default 50" })),
    skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

const IMPORT_HELP =
  "multipart/form-data: the CSV (UTF-8, header row first) in a part named `file`, and optional fields " +
  "`dry_run` (true|false), `unknown_columns` (ignore|custom_attributes) and `match` (default identifier,email,phone). " +
  "Answers 202 with the queued job; poll GET /v1/imports/{id}. 413 past CONTACTD_MAX_IMPORT_SIZE, 422 `empty_file`.";

/** CSV imports, in a scope of their own so that multipart bodies are taken here with the import size limit. */
export async function importScope(app: FastifyInstance, options: { core: Core }): Promise<void> {
  const { core } = options;
  await app.register(multipart, {
    limits: { fileSize: core.imports.maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 },
  });
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    "/imports",
    {
      preParsing: multipartOnly,
      schema: {
        tags,
        summary: "Import contacts from a CSV file",
        description: IMPORT_HELP,
        response: { 202: ImportBody },
      },
    },
    async (request, reply) => {
      const job = await withImportUpload(request, core.imports.maxBytes, (upload) =>
        core.imports.start(actorOf(request), upload),
      );
      return reply.code(202).send(renderImport(job));
    },
  );

  routes.get(
    "/imports",
    {
      schema: {
        tags,
        summary: "The account's imports, newest first",
        querystring: PageQuery,
        response: { 200: ListOf(ImportBody) },
      },
    },
    async (request) => {
      const page = await core.imports.list(actorOf(request), request.query);
      return renderList(page.data.map(renderImport), page.hasMore);
    },
  );

  routes.get(
    "/imports/:id",
    {
      schema: {
        tags,
        summary: "An import's status, progress and counts",
        params: IdParams,
        response: { 200: ImportBody },
      },
    },
    async (request) => renderImport(await core.imports.get(actorOf(request), parseId(request.params.id, "import"))),
  );

  routes.get(
    "/imports/:id/failed_rows.csv",
    {
      schema: {
        tags,
        summary: "The rows an import skipped or failed, as CSV",
        description: "Columns row, result, reason, message, then the file's own columns with the row's original cells.",
        params: IdParams,
      },
    },
    async (request, reply) => {
      const id = parseId(request.params.id, "import");
      const { stream } = await core.imports.failedRows(actorOf(request), id);
      return sendCsv(reply, `import-${id}-failed-rows.csv`, stream);
    },
  );
}

export function renderImport(job: ContactImport) {
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  return {
    object_name: "import" as const,
    id: String(job.id),
    status: job.status,
    dry_run: job.dryRun,
    file_name: job.fileName,
    byte_size: job.byteSize,
    unknown_columns: job.options.unknownColumns,
    match: job.options.match,
    started_by: job.userId === null ? null : String(job.userId),
    total_rows: job.totalRows,
    processed_rows: job.processedRows,
    created: job.created,
    updated: job.updated,
    skipped: job.skipped,
    failed: job.failed,
    error: job.error,
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
  };
}

const fileRequired = () =>
  new ValidationError([
    { field: "file", code: "required", message: "is required: send it as a multipart/form-data part named file" },
  ]);

/**
 * Hands the request's `file` part to `use` as a stream, with the form fields around it: those
 * before the file are read already, those after it once the core has taken the file in.
 */
async function withImportUpload<T>(
  request: FastifyRequest,
  maxBytes: number,
  use: (upload: ImportUpload) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) throw fileRequired();
  const parts = request.parts({ limits: { fileSize: maxBytes } })[Symbol.asyncIterator]();
  const fields: Record<string, string> = {};
  const next = async (): Promise<Multipart | undefined> => {
    try {
      const { value, done } = await parts.next();
      return done ? undefined : value;
    } catch (error) {
      if (typeof (error as { statusCode?: unknown }).statusCode === "number") throw error;
      const reason = error instanceof Error ? error.message : "unreadable";
      throw new BadRequestError("malformed_multipart", `The multipart body could not be read: ${reason}`);
    }
  };
  for (;;) {
    const part = await next();
    if (!part) throw fileRequired();
    if (part.type === "field") {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== "file") {
      part.file.resume();
      throw fileRequired();
    }
    const file: MultipartFile = part;
    const rest = async () => {
      for (let more = await next(); more; more = await next()) {
        if (more.type === "file") {
          more.file.resume();
          continue;
        }
        fields[more.fieldname] = String(more.value);
      }
      return fields;
    };
    try {
      return await use({ file: { stream: file.file, filename: file.filename }, fields: rest });
    } catch (error) {
      if (!(error instanceof DomainError) && file.file.errored) {
        throw new BadRequestError("upload_interrupted", "The request ended before the whole file arrived");
      }
      throw error;
    } finally {
      if (!file.file.readableEnded) file.file.resume();
    }
  }
}
