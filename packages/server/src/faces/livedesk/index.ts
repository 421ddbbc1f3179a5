import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";

/** EngageLab LiveDesk's API v2 contact listing (`/api/v2/accounts/contacts`). */
export async function livedeskFace(
  _app: FastifyInstance,
  _options: { core: Core; publicUrl?: string },
): Promise<void> {}
