import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { ContactFile } from "../../../core/files/file.js";
import type { Core } from "../../../core/index.js";
import { sendAttachment } from "../../../http/download.js";
import { multipartOnly, withUploadedFile } from "../../../http/multipart.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderFile, renderList } from "../render.js";
import { Deleted, IdParams, ListOf } from "../schemas.js";

const tags = ["files"];

const FileParams = Type.Object({ id: Type.String({ maxLength: 64 }), fileId: Type.String({ maxLength: 64 }) });

const FileBody = Type.Object({
  object_name: Type.Literal("file"),
  _id: Type.String({ description: "Same as id (the seed SDK's name)" }),
  id: Type.String(),
  contact_id: Type.String(),
  name: Type.String({ description: "Sanitised file name" }),
  url: Type.String({ description: "Absolute download URL (needs the same credentials)" }),
  size: Type.Integer({ description: "Bytes" }),
  content_type: Type.String({ description: "Sniffed from the content, not taken from the upload" }),
  sha256: Type.String(),
  uploaded_by: Type.Union([Type.String(), Type.Null()], { description: "User id; null once that user is deleted" }),
  created_at: Type.String({ format: "date-time" }),
});

const FilePageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: "1 to 200, default 50" })),
    skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

const UPLOAD_HELP =
  "multipart/form-data with the file in a part named `file`. Its content type is sniffed from the bytes. " +
  "413 past the size limit (CONTACTD_MAX_FILE_SIZE); nothing is kept from a failed upload.";

export function fileRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const render = (file: ContactFile, origin: string) => renderFile(file, `${origin}${app.prefix}`);

  routes.post(
    "/contacts/:id/files",
    {
      preParsing: multipartOnly,
      schema: {
        tags,
        summary: "Attach a file to a contact",
        description: UPLOAD_HELP,
        params: IdParams,
        response: { 201: FileBody },
      },
    },
    async (request, reply) => {
      const contactId = parseId(request.params.id, "contact");
      const file = await withUploadedFile(request, core.files.maxBytes, (incoming) =>
        core.files.upload(actorOf(request), contactId, incoming),
      );
      return reply.code(201).send(render(file, base(request)));
    },
  );

  routes.get(
    "/contacts/:id/files",
    {
      schema: {
        tags,
        summary: "A contact's files, newest first",
        params: IdParams,
        querystring: FilePageQuery,
        response: { 200: ListOf(FileBody) },
      },
    },
    async (request) => {
      const page = await core.files.list(actorOf(request), parseId(request.params.id, "contact"), request.query);
      const origin = base(request);
      return renderList(
        page.data.map((file) => render(file, origin)),
        page.hasMore,
      );
    },
  );

  routes.get(
    "/contacts/:id/files/:fileId",
    { schema: { tags, summary: "One file's details", params: FileParams, response: { 200: FileBody } } },
    async (request) => {
      const { contactId, fileId } = fileIds(request.params);
      return render(await core.files.get(actorOf(request), contactId, fileId), base(request));
    },
  );

  routes.get(
    "/contacts/:id/files/:fileId/download",
    {
      schema: {
        tags,
        summary: "A file's bytes",
        description: "Streamed as an attachment with the stored content type; browsers are told not to sniff it.",
        params: FileParams,
      },
    },
    async (request, reply) => {
      const { contactId, fileId } = fileIds(request.params);
      const { file, stream } = await core.files.download(actorOf(request), contactId, fileId);
      return sendAttachment(reply, file, stream);
    },
  );

  routes.delete(
    "/contacts/:id/files/:fileId",
    {
      schema: {
        tags,
        summary: "Delete a file (its uploader or an administrator)",
        params: FileParams,
        response: { 200: Deleted },
      },
    },
    async (request) => {
      const { contactId, fileId } = fileIds(request.params);
      await core.files.delete(actorOf(request), contactId, fileId);
      return { object_name: "file", id: String(fileId), deleted: true as const };
    },
  );
}

function fileIds(params: { id: string; fileId: string }): { contactId: number; fileId: number } {
  return { contactId: parseId(params.id, "contact"), fileId: parseId(params.fileId, "file") };
}
