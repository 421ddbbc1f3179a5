import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface ActivityRow {
  id: number;
  contact_id: number;
  conversation_id: number | null;
  action: string;
  actor_id: number | null;
  actor_name: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

export interface NewActivity {
  contactId: number;
  conversationId?: number | null;
  action: string;
  actorId: number | null;
  details?: Record<string, unknown>;
}

/** An entry's columns, as json_to_recordset reads them. */
export function activityRecord(a: NewActivity) {
  return {
    contact_id: a.contactId,
    conversation_id: a.conversationId ?? null,
    action: a.action,
    actor_id: a.actorId,
    details: a.details ?? {},
  };
}

/** Many entries in one statement of fixed text, so its plan is kept (a VALUES list is parsed anew each time). */
export async function insertActivities(db: Queryable, accountId: number, activities: NewActivity[]): Promise<void> {
  if (activities.length === 0) return;
  const records = activities.map(activityRecord);
  await db.execute(
    sql`
    INSERT INTO activities (account_id, contact_id, conversation_id, action, actor_id, details)
    SELECT ${accountId}, r.contact_id, r.conversation_id, r.action, r.actor_id, r.details
    FROM json_to_recordset(${sql.jsonText(records)})
      AS r(contact_id bigint, conversation_id bigint, action text, actor_id bigint, details json)`.prepared(),
  );
}

export interface ActivityFilter {
  contactId?: number;
  conversationId?: number;
  limit: number;
  skip: number;
}

/** A contact's history is its own entries; a conversation's, that conversation's. */
function subjectOf(filter: { contactId?: number; conversationId?: number }) {
  return filter.conversationId !== undefined
    ? sql`a.conversation_id = ${filter.conversationId}`
    : sql`a.contact_id = ${filter.contactId ?? 0} AND a.conversation_id IS NULL`;
}

/** Newest first. */
export async function listActivities(db: Queryable, accountId: number, filter: ActivityFilter): Promise<ActivityRow[]> {
  return db.query<ActivityRow>(sql`
    SELECT a.id, a.contact_id, a.conversation_id, a.action, a.actor_id, u.name AS actor_name, a.details, a.created_at
    FROM activities a LEFT JOIN users u ON u.account_id = a.account_id AND u.id = a.actor_id
    WHERE a.account_id = ${accountId} AND ${subjectOf(filter)}
    ORDER BY a.id DESC
    LIMIT ${filter.limit} OFFSET ${filter.skip}`);
}

export async function countActivities(
  db: Queryable,
  accountId: number,
  filter: { contactId?: number; conversationId?: number },
): Promise<number> {
  const [row] = await db.query<{ n: string }>(sql`
    SELECT count(*) AS n FROM activities a WHERE a.account_id = ${accountId} AND ${subjectOf(filter)}`);
  return Number(row?.n ?? 0);
}
