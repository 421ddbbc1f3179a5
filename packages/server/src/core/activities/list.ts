import { type ActivityRow, countActivities, listActivities } from "../../store/activities.js";
import { findContact } from "../../store/contacts.js";
import { findConversation } from "../../store/conversations.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import type { Activity } from "./activity.js";

export interface ActivityPage {
  data: Activity[];
  hasMore: boolean;
  /** Set when asked for with `withTotal`. */
  total?: number;
}

export interface ActivityPageInput {
  limit?: number;
  skip?: number;
  /** Also count every entry of the history (one more query). */
  withTotal?: boolean;
}

export async function contactActivities(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: ActivityPageInput,
): Promise<ActivityPage> {
  if (!(await findContact(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  return page(deps, actor, { contactId }, input);
}

export async function conversationActivities(
  deps: CoreDeps,
  actor: Actor,
  conversationId: number,
  input: ActivityPageInput,
): Promise<ActivityPage> {
  if (!(await findConversation(deps.db, actor.accountId, conversationId))) throw new NotFoundError("conversation");
  return page(deps, actor, { conversationId }, input);
}

async function page(
  deps: CoreDeps,
  actor: Actor,
  subject: { contactId?: number; conversationId?: number },
  input: ActivityPageInput,
): Promise<ActivityPage> {
  const limit = checkLimit(input.limit);
  const [rows, total] = await Promise.all([
    listActivities(deps.db, actor.accountId, { ...subject, limit: limit + 1, skip: input.skip ?? 0 }),
    input.withTotal ? countActivities(deps.db, actor.accountId, subject) : undefined,
  ]);
  return {
    data: rows.slice(0, limit).map(toActivity),
    hasMore: rows.length > limit,
    ...(total === undefined ? {} : { total }),
  };
}

function toActivity(row: ActivityRow): Activity {
  return {
    id: row.id,
    contactId: row.contact_id,
    conversationId: row.conversation_id,
    action: row.action,
    actor: row.actor_id === null ? null : { id: row.actor_id, name: row.actor_name ?? "" },
    details: row.details,
    createdAt: row.created_at,
  };
}
