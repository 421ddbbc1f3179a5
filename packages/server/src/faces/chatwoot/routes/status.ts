import type { FastifyInstance } from "fastify";

/** The Chatwoot release whose API v1 this face answers as. */
const CHATWOOT_VERSION = "4.10.1";

/** `GET /api`, which clients call without a token to check a server is there (n8n's credential test). */
export function statusRoute(app: FastifyInstance): void {
  app.get("/api", async () => ({
    version: CHATWOOT_VERSION,
    // Rails' database time format, as Chatwoot prints it.
    timestamp: new Date().toISOString().replace("T", " ").slice(0, 19),
    queue_services: "ok",
    data_services: "ok",
  }));
}
