import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../../core/index.js";
import { multipartOnly, withUploadedFile } from "../../../http/multipart.js";
import type { BaseUrl } from "../../../http/urls.js";
import { actorOf } from "../auth.js";

/**
 * uploadAvatar / upload_contacts: an image in a multipart part named `file`, kept on its own and
 * answered with its public URL, ready for a contact's `avatar_url`. In a scope of its own so
 * that only this route takes multipart bodies.
 */
export async function uploadRoutes(app: FastifyInstance, options: { core: Core; base: BaseUrl }): Promise<void> {
  const { core, base } = options;
  await app.register(multipart, {
    limits: { fileSize: core.avatars.maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 },
  });

  // 200 rather than 201, as the service answers.
  app.post("/contacts/_fileupload", { preParsing: multipartOnly }, async (request) => {
    const image = await withUploadedFile(request, core.avatars.maxBytes, (incoming) =>
      core.avatars.upload(actorOf(request), incoming),
    );
    return {
      url: `${base(request)}${image.path}`,
      object_name: "upload" as const,
      content_type: image.contentType,
      size: image.size,
    };
  });
}
