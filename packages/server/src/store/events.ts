import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface NewEvent {
  type: string;
  actorId: number | null;
  contactId: number | null;
  conversationId?: number | null;
  data?: Record<string, unknown>;
}

export interface EventRow {
  account_id: number;
  id: number;
  type: string;
  actor_id: number | null;
  contact_id: number | null;
  conversation_id: number | null;
  data: Record<string, unknown>;
  occurred_at: Date;
  dispatched_at: Date | null;
}

export async function insertEvents(db: Queryable, accountId: number, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(
    (e) =>
      sql`(${accountId}, ${e.type}, ${e.actorId}::bigint, ${e.contactId}::bigint, ${e.conversationId ?? null}::bigint, ${sql.json(e.data ?? {})})`,
  );
  await db.execute(sql`
    INSERT INTO events (account_id, type, actor_id, contact_id, conversation_id, data) VALUES ${sql.join(rows)}`);
}

const DISPATCH_LOCK = 7_404_012;

/** Notified on commit of every transaction that wrote events (a trigger, see migration 0005). */
export const EVENTS_CHANNEL = "contactd_events";

/**
 * Serialises dispatchers for the rest of the transaction. Notification and delivery ids are then
 * assigned in commit order, which lets live streams resume from "the last id I saw" without gaps.
 */
export async function lockDispatch(db: Queryable): Promise<void> {
  await db.query(sql`SELECT pg_advisory_xact_lock(${DISPATCH_LOCK})`);
}

/** The oldest undispatched events, locked for this transaction; rows other dispatchers hold are skipped. */
export async function claimUndispatchedEvents(db: Queryable, limit: number): Promise<EventRow[]> {
  return db.query<EventRow>(sql`
    SELECT account_id, id, type, actor_id, contact_id, conversation_id, data, occurred_at, dispatched_at
    FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`);
}

export async function markDispatched(db: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(
    sql`UPDATE events SET dispatched_at = now() WHERE dispatched_at IS NULL AND id = ANY(${ids}::bigint[])`,
  );
}

export async function listEvents(
  db: Queryable,
  accountId: number,
  filter: { contactId?: number; afterId?: number; limit: number },
): Promise<EventRow[]> {
  const byContact = filter.contactId === undefined ? sql.empty : sql` AND contact_id = ${filter.contactId}`;
  return db.query<EventRow>(sql`
    SELECT account_id, id, type, actor_id, contact_id, conversation_id, data, occurred_at, dispatched_at
    FROM events WHERE account_id = ${accountId} AND id > ${filter.afterId ?? 0}${byContact}
    ORDER BY id LIMIT ${filter.limit}`);
}
