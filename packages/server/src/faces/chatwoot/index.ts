import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";

/** Chatwoot's API v1 (`/api/v1/accounts/:account_id/...`), for existing Chatwoot clients. */
export async function chatwootFace(
  _app: FastifyInstance,
  _options: { core: Core; publicUrl?: string },
): Promise<void> {}
