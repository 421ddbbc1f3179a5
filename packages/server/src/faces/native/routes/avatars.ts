import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { Core } from "../../../core/index.js";
import { multipartOnly, withUploadedFile } from "../../../http/multipart.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";
import { parseId } from "../params.js";
import { renderContact } from "../render.js";
import { IdParams } from "../schemas.js";

const tags = ["avatars"];
const ContactRef = Type.Ref("Contact");

const Upload = Type.Object({
  object_name: Type.Literal("upload"),
  url: Type.String({ description: "Public, permanent URL of the image; usable as a contact's avatar_url" }),
  content_type: Type.String({ description: "image/png, image/jpeg, image/webp or image/gif, from the bytes" }),
  size: Type.Integer({ description: "Bytes" }),
});

const IMAGE_HELP =
  "multipart/form-data with the image in a part named `file`: PNG, JPEG, WebP or GIF, judged by its bytes " +
  "(415 otherwise, whatever its declared type). 413 past CONTACTD_MAX_AVATAR_SIZE. Nothing is kept from a failed upload.";

export function avatarRoutes(app: FastifyInstance, core: Core, base: BaseUrl): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.put(
    "/contacts/:id/avatar",
    {
      preParsing: multipartOnly,
      schema: {
        tags,
        summary: "Upload a contact's avatar",
        description: `${IMAGE_HELP} The contact's avatar_url becomes a public URL under /avatars/; a previous upload is deleted.`,
        params: IdParams,
        response: { 200: ContactRef },
      },
    },
    async (request) => {
      const contactId = parseId(request.params.id, "contact");
      const contact = await withUploadedFile(request, core.avatars.maxBytes, (incoming) =>
        core.avatars.set(actorOf(request), contactId, incoming),
      );
      return renderContact(contact, base(request));
    },
  );

  routes.delete(
    "/contacts/:id/avatar",
    {
      schema: {
        tags,
        summary: "Remove a contact's avatar",
        description: "Clears avatar_url, and deletes the image if it was uploaded.",
        params: IdParams,
        response: { 200: ContactRef },
      },
    },
    async (request) => {
      const contact = await core.avatars.remove(actorOf(request), parseId(request.params.id, "contact"));
      return renderContact(contact, base(request));
    },
  );

  routes.post(
    "/uploads",
    {
      preParsing: multipartOnly,
      schema: {
        tags,
        summary: "Upload an image and get its public URL",
        description: `${IMAGE_HELP} Put the answer's url in a contact's avatar_url.`,
        response: { 201: Upload },
      },
    },
    async (request, reply) => {
      const image = await withUploadedFile(request, core.avatars.maxBytes, (incoming) =>
        core.avatars.upload(actorOf(request), incoming),
      );
      return reply.code(201).send({
        object_name: "upload" as const,
        url: `${base(request)}${image.path}`,
        content_type: image.contentType,
        size: image.size,
      });
    },
  );
}
