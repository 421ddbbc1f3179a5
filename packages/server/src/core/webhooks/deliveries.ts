import * as store from "../../store/webhooks.js";
import { type Actor, requireAdministrator } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";

/** What happened to an endpoint's deliveries, for its administrator: every attempt is kept. */

export interface Delivery {
  id: number;
  webhookId: number;
  eventId: number;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface Attempt {
  id: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

const STATUSES = ["pending", "delivered", "failed"];

export async function listDeliveries(
  deps: CoreDeps,
  actor: Actor,
  webhookId: number,
  input: { limit?: number; skip?: number; status?: string },
): Promise<{ data: Delivery[]; hasMore: boolean; total: number }> {
  requireAdministrator(actor);
  const limit = checkLimit(input.limit);
  if (input.status !== undefined && !STATUSES.includes(input.status)) {
    const errors = new FieldErrors();
    errors.add("status", "invalid_value", `must be one of ${STATUSES.join(", ")}`);
    errors.throwIfAny();
  }
  await existingWebhook(deps, actor, webhookId);
  const page = await store.listDeliveries(deps.db, actor.accountId, webhookId, {
    limit: limit + 1,
    skip: input.skip ?? 0,
    status: input.status,
  });
  return { data: page.rows.slice(0, limit).map(toDelivery), hasMore: page.rows.length > limit, total: page.total };
}

export async function listAttempts(
  deps: CoreDeps,
  actor: Actor,
  webhookId: number,
  deliveryId: number,
): Promise<Attempt[]> {
  requireAdministrator(actor);
  await existingDelivery(deps, actor, webhookId, deliveryId);
  return (await store.listAttempts(deps.db, actor.accountId, deliveryId)).map((row) => ({
    id: row.id,
    attempt: row.attempt,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    responseBody: row.response_body,
  }));
}

/** Sends a delivery again, now: for a failed one after the receiver is fixed, or to skip a backoff wait. */
export async function retryDelivery(
  deps: CoreDeps,
  actor: Actor,
  webhookId: number,
  deliveryId: number,
): Promise<Delivery> {
  requireAdministrator(actor);
  await existingDelivery(deps, actor, webhookId, deliveryId);
  await deps.db.transaction((tx) => store.requeueDelivery(tx, actor.accountId, deliveryId));
  return existingDelivery(deps, actor, webhookId, deliveryId);
}

async function existingWebhook(deps: CoreDeps, actor: Actor, webhookId: number): Promise<void> {
  if (!(await store.findWebhook(deps.db, actor.accountId, webhookId))) throw new NotFoundError("webhook");
}

async function existingDelivery(deps: CoreDeps, actor: Actor, webhookId: number, id: number): Promise<Delivery> {
  const row = await store.findDelivery(deps.db, actor.accountId, webhookId, id);
  if (!row) throw new NotFoundError("delivery");
  return toDelivery(row);
}

function toDelivery(row: store.DeliveryRow): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
