import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Core } from "./core/index.js";
import { RequestMetrics } from "./request-metrics.js";

/** Seconds; from a cached get (about a millisecond) to a slow export. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type DeliveryOutcome = "delivered" | "retrying" | "failed";

/**
 * The process's Prometheus metrics: requests and their latency per route, the database pool,
 * work waiting for the background workers, webhook delivery outcomes, and Node's own (memory,
 * event loop, GC). One registry per app, so several apps in one process (tests) keep theirs apart.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new RequestMetrics(LATENCY_BUCKETS, {
    requests: "contactd_http_requests_total",
    latency: "contactd_http_request_duration_seconds",
  });
  readonly #deliveries: Counter<"outcome">;

  constructor(core: Core) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "contactd_" });
    this.#deliveries = new Counter({
      name: "contactd_webhook_deliveries_total",
      help: "Webhook delivery attempts by this process, by outcome",
      labelNames: ["outcome"],
      registers,
    });
    new Gauge({
      name: "contactd_db_pool_connections",
      help: "PostgreSQL connections of this process's pool: open, idle, and callers waiting for one",
      labelNames: ["state"],
      registers,
      collect() {
        const stats = core.operations.poolStats();
        if (!stats) return;
        this.set({ state: "open" }, stats.total);
        this.set({ state: "idle" }, stats.idle);
        this.set({ state: "waiting" }, stats.waiting);
      },
    });
    new Gauge({
      name: "contactd_queue_depth",
      help: "Work waiting for the background workers of all processes, by queue",
      labelNames: ["queue"],
      registers,
      async collect() {
        const depths = await core.operations.queueDepths();
        this.set({ queue: "events" }, depths.events);
        this.set({ queue: "webhook_deliveries" }, depths.webhookDeliveries);
        this.set({ queue: "imports" }, depths.imports);
        this.set({ queue: "exports" }, depths.exports);
      },
    });
  }

  /** `route` is the registered pattern (e.g. /v1/contacts/:id), never the raw path: few label values. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.observe(method, route, status, seconds);
  }

  countDelivery(outcome: DeliveryOutcome): void {
    this.#deliveries.inc({ outcome });
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const text = `${await this.registry.metrics()}\n${this.#requests.exposition()}`;
    return { contentType: this.registry.contentType, text };
  }
}
