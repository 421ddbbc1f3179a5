import type { NewActivity } from "../../store/activities.js";
import type { ConversationRow } from "../../store/conversations.js";
import { findConversation, replaceConversationLabels, updateConversation } from "../../store/conversations.js";
import { ensureLabels } from "../../store/labels.js";
import { labelChanges } from "../activities/changes.js";
import type { Actor } from "../actor.js";
import { markContactActiveNow } from "../contacts/last-activity.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { followAsParticipant } from "../followers/follow.js";
import { normalizeLabels } from "../labels/normalize.js";
import { type Conversation, toConversation } from "./conversation.js";
import { checkAssignee, checkSnoozedUntil, checkStatus } from "./fields.js";

export interface ConversationPatch {
  status?: string;
  assigneeId?: number | null;
  snoozedUntil?: string | null;
  labels?: string[];
}

/** Status, assignee and labels; each change is logged on the conversation and touches the contact. */
export async function updateConversationState(
  deps: CoreDeps,
  actor: Actor,
  id: number,
  patch: ConversationPatch,
): Promise<Conversation> {
  const errors = new FieldErrors();
  const status = checkStatus(patch.status, errors);
  const snoozedUntil = checkSnoozedUntil(patch.snoozedUntil, errors);
  const labels = patch.labels === undefined ? undefined : normalizeLabels(patch.labels, errors);
  await checkAssignee(deps.db, actor.accountId, patch.assigneeId, errors);
  errors.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const current = await findConversation(tx, actor.accountId, id, { forUpdate: true });
    if (!current) throw new NotFoundError("conversation");
    const next = {
      status: status ?? current.status,
      assigneeId: patch.assigneeId === undefined ? current.assignee_id : patch.assigneeId,
      snoozedUntil: null as Date | null,
    };
    next.snoozedUntil =
      next.status === "snoozed" ? (snoozedUntil === undefined ? current.snoozed_until : snoozedUntil) : null;
    await updateConversation(tx, actor.accountId, id, next);
    if (labels)
      await replaceConversationLabels(tx, actor.accountId, id, await ensureLabels(tx, actor.accountId, labels));
    await recordChanges(tx, actor.accountId, changesOf(actor, current, next, labels));
    if (next.assigneeId !== null && next.assigneeId !== current.assignee_id) {
      await followAsParticipant(tx, actor.accountId, current.contact_id, next.assigneeId);
    }
    await markContactActiveNow(tx, actor, current.contact_id);
    return toConversation((await findConversation(tx, actor.accountId, id)) as ConversationRow);
  });
}

function changesOf(
  actor: Actor,
  current: ConversationRow,
  next: { status: string; assigneeId: number | null },
  labels: string[] | undefined,
): NewActivity[] {
  const entry = (action: string, details: Record<string, unknown>): NewActivity => ({
    contactId: current.contact_id,
    conversationId: current.id,
    action,
    actorId: actor.userId,
    details,
  });
  const entries: NewActivity[] = [];
  if (next.status !== current.status) {
    entries.push(entry("conversation.status_changed", { from: current.status, to: next.status }));
  }
  if (next.assigneeId !== current.assignee_id) {
    const asText = (id: number | null) => (id === null ? null : String(id));
    entries.push(entry("conversation.assigned", { from: asText(current.assignee_id), to: asText(next.assigneeId) }));
  }
  const moved = labels ? labelChanges(current.labels, labels) : { added: [], removed: [] };
  if (moved.added.length + moved.removed.length > 0) entries.push(entry("conversation.labels_changed", moved));
  return entries;
}
