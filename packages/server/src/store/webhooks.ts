import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface WebhookRow {
  account_id: number;
  id: number;
  url: string;
  events: string[];
  description: string;
  include_system_changes: boolean;
  active: boolean;
  secret: string;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookColumns {
  url: string;
  events: string[];
  description: string;
  includeSystemChanges: boolean;
  active: boolean;
}

const WEBHOOK = sql.raw(
  "account_id, id, url, events, description, include_system_changes, active, secret, created_at, updated_at",
);

export async function insertWebhook(
  db: Queryable,
  accountId: number,
  columns: WebhookColumns & { secret: string },
): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO webhooks (account_id, url, events, description, include_system_changes, active, secret)
    VALUES (${accountId}, ${columns.url}, ${columns.events}::text[], ${columns.description},
      ${columns.includeSystemChanges}, ${columns.active}, ${columns.secret})
    RETURNING id`);
  return (row as { id: number }).id;
}

export async function findWebhook(
  db: Queryable,
  accountId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<WebhookRow | undefined> {
  const lock = options.forUpdate ? sql` FOR UPDATE` : sql.empty;
  const [row] = await db.query<WebhookRow>(
    sql`SELECT ${WEBHOOK} FROM webhooks WHERE account_id = ${accountId} AND id = ${id}${lock}`,
  );
  return row;
}

export async function listWebhooks(db: Queryable, accountId: number): Promise<WebhookRow[]> {
  return db.query<WebhookRow>(sql`SELECT ${WEBHOOK} FROM webhooks WHERE account_id = ${accountId} ORDER BY id`);
}

export async function updateWebhook(
  db: Queryable,
  accountId: number,
  id: number,
  columns: WebhookColumns,
): Promise<void> {
  await db.execute(sql`
    UPDATE webhooks SET url = ${columns.url}, events = ${columns.events}::text[], description = ${columns.description},
      include_system_changes = ${columns.includeSystemChanges}, active = ${columns.active}, updated_at = now()
    WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function setWebhookSecret(db: Queryable, accountId: number, id: number, secret: string): Promise<void> {
  await db.execute(
    sql`UPDATE webhooks SET secret = ${secret}, updated_at = now() WHERE account_id = ${accountId} AND id = ${id}`,
  );
}

export async function deleteWebhook(db: Queryable, accountId: number, id: number): Promise<number> {
  return db.execute(sql`DELETE FROM webhooks WHERE account_id = ${accountId} AND id = ${id}`);
}

/** First key of the two-key advisory locks on an account's subscriptions (the second is the account). */
const SUBSCRIPTIONS_LOCK = 7_404_015;

/**
 * Holds the account's webhook subscriptions still until the transaction ends: shared by a write
 * that decides from them which of its events nobody hears, exclusive for a change that could
 * subscribe an endpoint to more (create, update).
 */
export async function lockSubscriptions(db: Queryable, accountId: number, mode: "shared" | "exclusive"): Promise<void> {
  const lock = mode === "shared" ? sql.raw("pg_advisory_xact_lock_shared") : sql.raw("pg_advisory_xact_lock");
  await db.query(sql`SELECT ${lock}(${SUBSCRIPTIONS_LOCK}::integer, (${accountId}::bigint % 2147483647)::integer)`);
}

/** The active endpoints of the given accounts, for fanning events out. */
export async function activeWebhooksOf(db: Queryable, accountIds: number[]): Promise<WebhookRow[]> {
  if (accountIds.length === 0) return [];
  return db.query<WebhookRow>(sql`
    SELECT ${WEBHOOK} FROM webhooks WHERE account_id = ANY(${accountIds}::bigint[]) AND active ORDER BY account_id, id`);
}

/** Notified when deliveries become due without waiting: new ones, and ones put back in line. */
export const DELIVERIES_CHANNEL = "contactd_deliveries";

// ---- Deliveries -------------------------------------------------------------------------------

export interface NewDelivery {
  accountId: number;
  webhookId: number;
  eventId: number;
  /** Deliveries sharing a key (the contact) go out one at a time, in id order. */
  orderingKey: number | null;
}

/** One delivery per (endpoint, event); an event fanned out twice still makes one. */
export async function insertDeliveries(db: Queryable, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const values = deliveries.map(
    (d) => sql`(${d.accountId}::bigint, ${d.webhookId}::bigint, ${d.eventId}::bigint, ${d.orderingKey}::bigint)`,
  );
  await db.execute(sql`
    INSERT INTO webhook_deliveries (account_id, webhook_id, event_id, ordering_key) VALUES ${sql.join(values)}
    ON CONFLICT (account_id, webhook_id, event_id) DO NOTHING`);
  await db.execute(sql`SELECT pg_notify(${DELIVERIES_CHANNEL}, '')`);
}

/** A delivery this process holds the lease of, with what is needed to send it. */
export interface ClaimedDelivery {
  account_id: number;
  id: number;
  webhook_id: number;
  attempts: number;
  url: string;
  secret: string;
  /** Its endpoint was on probation when it was claimed (see claimDeliveries). */
  on_probation: boolean;
  event_id: number;
  type: string;
  actor_id: number | null;
  contact_id: number | null;
  conversation_id: number | null;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/**
 * Takes the lease of up to `limit` due deliveries and counts the attempt. A delivery is due when
 * its time has come, no lease on it is live, its endpoint is active, and no earlier delivery with
 * the same ordering key to the same endpoint is still pending (per-contact order).
 *
 * Fair shares, so dead endpoints cannot take the slots healthy ones need: an endpoint whose latest
 * attempt got a 2xx may have `perWebhook` deliveries in flight. One on probation (new, or its latest
 * attempt failed) may have one, and probation deliveries claimed here are at most `probationLimit`:
 * the sender gives them half its slots. A dead endpoint is on probation from its first failure,
 * and a new one until its first success, so any number of them leave half the slots free.
 * In-flight counts are over all processes. SKIP LOCKED and the lease let several processes claim
 * at once without sending anything twice.
 */
export async function claimDeliveries(
  db: Queryable,
  options: { limit: number; perWebhook: number; probationLimit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  return db.query<ClaimedDelivery>(
    sql`
    WITH in_flight AS (
      SELECT account_id, webhook_id, count(*) AS n FROM webhook_deliveries
      WHERE status = 'pending' AND locked_until > now() GROUP BY account_id, webhook_id
    ), due AS (
      SELECT c.account_id, c.id, c.next_attempt_at, w.last_attempt_ok IS NOT TRUE AS on_probation,
        coalesce(f.n, 0) + row_number() OVER (PARTITION BY c.account_id, c.webhook_id ORDER BY c.next_attempt_at, c.id)
          AS nth_in_flight
      FROM webhook_deliveries c
      JOIN webhooks w ON w.account_id = c.account_id AND w.id = c.webhook_id AND w.active
      LEFT JOIN in_flight f ON f.account_id = c.account_id AND f.webhook_id = c.webhook_id
      WHERE c.status = 'pending' AND c.next_attempt_at <= now() AND (c.locked_until IS NULL OR c.locked_until <= now())
        AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries p
          WHERE p.account_id = c.account_id AND p.webhook_id = c.webhook_id AND p.ordering_key = c.ordering_key
            AND p.status = 'pending' AND p.id < c.id)
    ), within_endpoint_share AS (
      SELECT account_id, id, next_attempt_at, on_probation,
        row_number() OVER (PARTITION BY on_probation ORDER BY next_attempt_at, id) AS nth_of_kind
      FROM due WHERE nth_in_flight <= CASE WHEN on_probation THEN 1 ELSE ${options.perWebhook} END
    ), candidates AS (
      SELECT account_id, id FROM within_endpoint_share
      WHERE NOT on_probation OR nth_of_kind <= ${options.probationLimit}
      ORDER BY next_attempt_at, id LIMIT ${options.limit}
    ), locked AS (
      SELECT d.account_id, d.id FROM webhook_deliveries d JOIN candidates USING (account_id, id)
      WHERE d.status = 'pending' AND (d.locked_until IS NULL OR d.locked_until <= now())
      FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_deliveries d
      SET locked_until = now() + make_interval(secs => ${options.leaseMs / 1000}::double precision), attempts = d.attempts + 1
      FROM locked WHERE d.account_id = locked.account_id AND d.id = locked.id
      RETURNING d.account_id, d.id, d.webhook_id, d.event_id, d.attempts
    )
    SELECT claimed.account_id, claimed.id, claimed.webhook_id, claimed.attempts, w.url, w.secret,
      w.last_attempt_ok IS NOT TRUE AS on_probation,
      e.id AS event_id, e.type, e.actor_id, e.contact_id, e.conversation_id, e.data, e.occurred_at
    FROM claimed
    JOIN webhooks w ON w.account_id = claimed.account_id AND w.id = claimed.webhook_id
    JOIN events e ON e.account_id = claimed.account_id AND e.id = claimed.event_id
    ORDER BY claimed.id`.prepared(),
  );
}

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

export type DeliveryOutcome = { status: "delivered" | "failed" } | { status: "pending"; retryInMs: number };

/**
 * Records one attempt and where the delivery stands after it. Only the holder of the attempt
 * (matching attempt number) may record it, so a late answer after a lost lease changes nothing
 * but the endpoint's health, which any answer tells truly.
 */
export async function recordAttempt(
  db: Queryable,
  delivery: { account_id: number; id: number; webhook_id: number; attempts: number },
  attempt: AttemptRecord,
  outcome: DeliveryOutcome,
): Promise<void> {
  // The endpoint's row first, as deleting an endpoint locks it before its deliveries: no deadlock.
  await setLastAttemptOk(db, delivery, outcome.status === "delivered");
  const updated = await db.execute(sql`
    UPDATE webhook_deliveries SET
      status = ${outcome.status},
      next_attempt_at = ${outcome.status === "pending" ? sql`now() + make_interval(secs => ${outcome.retryInMs / 1000}::double precision)` : sql`next_attempt_at`},
      finished_at = ${outcome.status === "pending" ? null : sql`now()`},
      locked_until = NULL, last_status_code = ${attempt.statusCode}::integer, last_error = ${attempt.error}
    WHERE account_id = ${delivery.account_id} AND id = ${delivery.id} AND attempts = ${delivery.attempts}
      AND status = 'pending'`);
  if (updated === 0) return;
  await db.execute(sql`
    INSERT INTO webhook_attempts (account_id, delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
    VALUES (${delivery.account_id}, ${delivery.id}, ${delivery.attempts}, ${attempt.startedAt}, ${attempt.durationMs},
      ${attempt.statusCode}::integer, ${attempt.error}, ${attempt.responseBody})`);
}

/** Written only when it changes, so a busy healthy endpoint's row is not rewritten per delivery. */
async function setLastAttemptOk(
  db: Queryable,
  delivery: { account_id: number; webhook_id: number },
  ok: boolean,
): Promise<void> {
  await db.execute(sql`
    UPDATE webhooks SET last_attempt_ok = ${ok}
    WHERE account_id = ${delivery.account_id} AND id = ${delivery.webhook_id} AND last_attempt_ok IS DISTINCT FROM ${ok}`);
}

export interface DeliveryRow {
  id: number;
  webhook_id: number;
  event_id: number;
  event_type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const DELIVERY = sql.raw(`d.id, d.webhook_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.finished_at`);

export async function listDeliveries(
  db: Queryable,
  accountId: number,
  webhookId: number,
  page: { limit: number; skip: number; status?: string },
): Promise<{ rows: DeliveryRow[]; total: number }> {
  const byStatus = page.status === undefined ? sql.empty : sql` AND d.status = ${page.status}`;
  const where = sql`d.account_id = ${accountId} AND d.webhook_id = ${webhookId}${byStatus}`;
  const [rows, [count]] = await Promise.all([
    db.query<DeliveryRow>(sql`
      SELECT ${DELIVERY} FROM webhook_deliveries d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id
      WHERE ${where} ORDER BY d.id DESC LIMIT ${page.limit} OFFSET ${page.skip}`),
    db.query<{ total: number }>(sql`SELECT count(*) AS total FROM webhook_deliveries d WHERE ${where}`),
  ]);
  return { rows, total: count?.total ?? 0 };
}

export async function findDelivery(
  db: Queryable,
  accountId: number,
  webhookId: number,
  id: number,
): Promise<DeliveryRow | undefined> {
  const [row] = await db.query<DeliveryRow>(sql`
    SELECT ${DELIVERY} FROM webhook_deliveries d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id
    WHERE d.account_id = ${accountId} AND d.webhook_id = ${webhookId} AND d.id = ${id}`);
  return row;
}

export interface AttemptRow {
  id: number;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

export async function listAttempts(db: Queryable, accountId: number, deliveryId: number): Promise<AttemptRow[]> {
  return db.query<AttemptRow>(sql`
    SELECT id, attempt, started_at, duration_ms, status_code, error, response_body FROM webhook_attempts
    WHERE account_id = ${accountId} AND delivery_id = ${deliveryId} ORDER BY id`);
}

/** Puts a finished (or waiting) delivery back in line, due now; one in flight keeps its lease. */
export async function requeueDelivery(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.execute(sql`
    UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), finished_at = NULL
    WHERE account_id = ${accountId} AND id = ${id} AND (locked_until IS NULL OR locked_until <= now())`);
  await db.execute(sql`SELECT pg_notify(${DELIVERIES_CHANNEL}, '')`);
}
