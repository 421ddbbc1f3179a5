import type { ConversationRow } from "../../store/conversations.js";

export const STATUSES = ["open", "pending", "resolved", "snoozed"] as const;
export type Status = (typeof STATUSES)[number];

export interface Conversation {
  id: number;
  accountId: number;
  contactId: number;
  inbox: { id: number; name: string; channelType: string };
  status: Status;
  assignee: { id: number; name: string } | null;
  snoozedUntil: Date | null;
  labels: string[];
  lastActivityAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    accountId: row.account_id,
    contactId: row.contact_id,
    inbox: { id: row.inbox_id, name: row.inbox_name, channelType: row.channel_type },
    status: row.status,
    assignee: row.assignee_id === null ? null : { id: row.assignee_id, name: row.assignee_name ?? "" },
    snoozedUntil: row.snoozed_until,
    labels: row.labels,
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
