import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";
import type { BaseUrl } from "../../http/urls.js";
import { avatarRoutes } from "./routes/avatars.js";
import { fileRoutes } from "./routes/files.js";

/**
 * Routes that take or give file bytes, in a scope of their own so that only they accept
 * multipart bodies. Files are streamed to the blob store as they arrive, never buffered whole.
 */
export async function uploadScope(app: FastifyInstance, options: { core: Core; base: BaseUrl }): Promise<void> {
  const { core, base } = options;
  await app.register(multipart, {
    limits: {
      // Each route applies its own limit (see withUploadedFile); this is only the ceiling.
      fileSize: Math.max(core.files.maxBytes, core.avatars.maxBytes),
      files: 1,
      fields: 10,
      fieldSize: 1024,
      parts: 20,
      headerPairs: 100,
    },
  });
  fileRoutes(app, core, base);
  avatarRoutes(app, core, base);
}
