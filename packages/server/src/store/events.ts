import { activityRecord, type NewActivity } from "./activities.js";
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

/** Many events in one statement of fixed text, so its plan is kept (a VALUES list is parsed anew each time). */
export async function insertEvents(db: Queryable, accountId: number, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const records = events.map((e) => ({
    type: e.type,
    actor_id: e.actorId,
    contact_id: e.contactId,
    conversation_id: e.conversationId ?? null,
    data: e.data ?? {},
  }));
  await db.execute(
    sql`
    INSERT INTO events (account_id, type, actor_id, contact_id, conversation_id, data)
    SELECT ${accountId}, r.type, r.actor_id, r.contact_id, r.conversation_id, r.data
    FROM jsonb_to_recordset(${sql.json(records)})
      AS r(type text, actor_id bigint, contact_id bigint, conversation_id bigint, data jsonb)`.prepared(),
  );
}

export interface NewChange extends NewActivity {
  /** Whether the change also gets its event in the outbox (not when nobody could hear of it). */
  withEvent: boolean;
}

/**
 * History entries and, for those that want one, their event (of the entry's action, with its
 * details as data), in one statement from one json parameter: the details, most of the bytes, are
 * sent once, and stored as sent (only events' data is converted to jsonb).
 */
export async function insertHistoryWithEvents(db: Queryable, accountId: number, changes: NewChange[]): Promise<void> {
  if (changes.length === 0) return;
  const records = changes.map((c) => ({ ...activityRecord(c), with_event: c.withEvent }));
  await db.execute(
    sql`
    WITH r AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${sql.jsonText(records)}) AS r(contact_id bigint, conversation_id bigint,
        action text, actor_id bigint, details json, with_event boolean)
    ), history AS (
      INSERT INTO activities (account_id, contact_id, conversation_id, action, actor_id, details)
      SELECT ${accountId}, r.contact_id, r.conversation_id, r.action, r.actor_id, r.details FROM r
    )
    INSERT INTO events (account_id, type, actor_id, contact_id, conversation_id, data)
    SELECT ${accountId}, r.action, r.actor_id, r.contact_id, r.conversation_id, r.details::jsonb
    FROM r WHERE r.with_event`.prepared(),
  );
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

/**
 * Whether any event waits for dispatch: one index probe, without the transaction and lock a claim
 * takes, for the polls that find nothing (most of them).
 */
export async function hasUndispatchedEvents(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ due: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM events WHERE dispatched_at IS NULL) AS due`.prepared(),
  );
  return row?.due === true;
}

/**
 * The oldest undispatched events, marked dispatched by this transaction (so a rollback hands them
 * back) and locked until it ends; rows other dispatchers hold are skipped. In id order.
 */
export async function claimUndispatchedEvents(db: Queryable, limit: number): Promise<EventRow[]> {
  const rows = await db.query<EventRow>(
    sql`
    UPDATE events e SET dispatched_at = now()
    FROM (SELECT account_id, id FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED) due
    WHERE e.account_id = due.account_id AND e.id = due.id
    RETURNING e.account_id, e.id, e.type, e.actor_id, e.contact_id, e.conversation_id, e.data, e.occurred_at,
      e.dispatched_at`.prepared(),
  );
  return rows.sort((a, b) => a.id - b.id);
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
