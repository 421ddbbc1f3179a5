import type { NewActivity } from "../../store/activities.js";
import { findContact } from "../../store/contacts.js";
import { type ConversationRow, findConversation, insertConversation } from "../../store/conversations.js";
import { findInbox } from "../../store/inboxes.js";
import type { Actor } from "../actor.js";
import { markContactActiveNow } from "../contacts/last-activity.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { followAsParticipant } from "../followers/follow.js";
import { type Conversation, toConversation } from "./conversation.js";
import { checkAssignee, checkSnoozedUntil, checkStatus } from "./fields.js";

export interface ConversationInput {
  contactId: number;
  inboxId: number;
  status?: string;
  assigneeId?: number | null;
  snoozedUntil?: string | null;
}

/** A new conversation for a contact in an inbox; a blocked contact's starts resolved. */
export async function createConversation(
  deps: CoreDeps,
  actor: Actor,
  input: ConversationInput,
): Promise<Conversation> {
  const errors = new FieldErrors();
  const status = checkStatus(input.status, errors);
  const snoozedUntil = checkSnoozedUntil(input.snoozedUntil, errors);
  await checkAssignee(deps.db, actor.accountId, input.assigneeId, errors);
  errors.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const contact = await findContact(tx, actor.accountId, input.contactId);
    if (!contact) throw new NotFoundError("contact");
    if (!(await findInbox(tx, actor.accountId, input.inboxId))) throw new NotFoundError("inbox");
    const initial = status ?? (contact.blocked ? "resolved" : "open");
    const id = await insertConversation(tx, actor.accountId, {
      contactId: contact.id,
      inboxId: input.inboxId,
      status: initial,
      assigneeId: input.assigneeId ?? null,
      snoozedUntil: initial === "snoozed" ? (snoozedUntil ?? null) : null,
    });
    const entries: NewActivity[] = [
      {
        contactId: contact.id,
        conversationId: id,
        action: "conversation.created",
        actorId: actor.userId,
        details: { inbox_id: String(input.inboxId), status: initial },
      },
    ];
    if (input.assigneeId) {
      entries.push({
        contactId: contact.id,
        conversationId: id,
        action: "conversation.assigned",
        actorId: actor.userId,
        details: { from: null, to: String(input.assigneeId) },
      });
    }
    await recordChanges(tx, actor.accountId, entries);
    if (input.assigneeId) await followAsParticipant(tx, actor.accountId, contact.id, input.assigneeId);
    await markContactActiveNow(tx, actor, contact.id);
    return toConversation((await findConversation(tx, actor.accountId, id)) as ConversationRow);
  });
}
