/** One entry of a contact's or a conversation's history. */
export interface Activity {
  id: number;
  contactId: number;
  conversationId: number | null;
  /** `subject.verb`, e.g. contact.updated, conversation.status_changed. */
  action: string;
  actor: { id: number; name: string } | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

export const CONTACT_ACTIONS = [
  "contact.created",
  "contact.updated",
  "contact.labels_changed",
  "contact.merged",
  "contact.merged_into",
  "comment.created",
  "comment.updated",
  "comment.deleted",
  "file.added",
  "file.deleted",
  "avatar.changed",
  "contact_inbox.created",
] as const;

export const CONVERSATION_ACTIONS = [
  "conversation.created",
  "conversation.status_changed",
  "conversation.assigned",
  "conversation.labels_changed",
] as const;
