import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/index.js";
import type { Metrics } from "../../metrics.js";
import { sendPublicError } from "../public/index.js";

export interface Lifecycle {
  /** Set when the process has begun shutting down: it finishes what it has and takes nothing new. */
  draining: boolean;
}

/**
 * What load balancers, orchestrators and Prometheus ask, without credentials: /healthz (the
 * process is up), /readyz (it can serve: database reachable, migrations applied, not shutting
 * down) and /metrics. None of them shows any account's data.
 */
export async function operationsFace(
  app: FastifyInstance,
  options: { core: Core; metrics: Metrics; lifecycle: Lifecycle },
): Promise<void> {
  const { core, metrics, lifecycle } = options;
  app.setErrorHandler(sendPublicError);
  const hide = { schema: { hide: true } };

  app.get("/healthz", hide, async () => ({ status: "ok" }));

  app.get("/readyz", hide, async (_request, reply) => {
    if (lifecycle.draining) return reply.code(503).send({ status: "not_ready", reason: "shutting_down" });
    const readiness = await core.operations.readiness();
    if (readiness.ready) return { status: "ready" };
    const pending = readiness.reason === "migrations_pending" ? { pending_migrations: readiness.pending } : {};
    return reply.code(503).send({ status: "not_ready", reason: readiness.reason, ...pending });
  });

  app.get("/metrics", hide, async (_request, reply) => {
    const { contentType, text } = await metrics.exposition();
    return reply.header("content-type", contentType).header("cache-control", "no-store").send(text);
  });
}
