import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";

/** iMBRACE's channel-service (`/channel-service/v1/...`), what the iMBRACE SDK calls. */
export async function imbraceFace(_app: FastifyInstance, _options: { core: Core; publicUrl?: string }): Promise<void> {}
