import type { Comment } from "../../core/comments/comment.js";
import type { Contact } from "../../core/contacts/contact.js";
import type { Conversation } from "../../core/conversations/conversation.js";
import { chatwootContact, epochSeconds } from "./contact-json.js";

/** Chatwoot's JSON for what hangs off a contact: conversations, notes and the agents on them. */

/** The agent partial, from what contactd knows of a user. */
export function chatwootAgent(user: { id: number; name: string }, accountId: number) {
  return {
    id: user.id,
    account_id: accountId,
    availability_status: "offline",
    available_name: user.name,
    name: user.name,
    thumbnail: "",
  };
}

/**
 * A conversation as the Python SDK's model reads it: integer ids and seconds everywhere (never
 * ISO strings), no nulls where it wants lists, hashes or counts. contactd keeps no messages, read
 * receipts or first replies, so those are empty or 0, as Chatwoot renders a conversation without them.
 */
export function chatwootConversation(conversation: Conversation, contact: Contact, base: string) {
  return {
    meta: {
      sender: chatwootContact(contact, base),
      channel: conversation.inbox.channelType,
      ...(conversation.assignee ? { assignee: chatwootAgent(conversation.assignee, conversation.accountId) } : {}),
    },
    id: conversation.id,
    messages: [],
    account_id: conversation.accountId,
    additional_attributes: {},
    agent_last_seen_at: 0,
    assignee_last_seen_at: 0,
    can_reply: true,
    contact_last_seen_at: 0,
    custom_attributes: {},
    inbox_id: conversation.inbox.id,
    labels: conversation.labels,
    muted: contact.blocked,
    snoozed_until: conversation.snoozedUntil === null ? null : epochSeconds(conversation.snoozedUntil),
    status: conversation.status,
    created_at: epochSeconds(conversation.createdAt),
    updated_at: epochSeconds(conversation.updatedAt),
    timestamp: epochSeconds(conversation.lastActivityAt),
    first_reply_created_at: 0,
    unread_count: 0,
    last_non_activity_message: null,
    last_activity_at: epochSeconds(conversation.lastActivityAt),
    priority: null,
    waiting_since: 0,
  };
}

/** A note (a contactd comment); `user` is left out when its author is gone, as Chatwoot does. */
export function chatwootNote(comment: Comment, accountId: number) {
  return {
    id: comment.id,
    content: comment.text,
    account_id: accountId,
    contact_id: comment.contactId,
    ...(comment.author ? { user: chatwootAgent(comment.author, accountId) } : {}),
    created_at: epochSeconds(comment.createdAt),
    updated_at: epochSeconds(comment.updatedAt),
  };
}
