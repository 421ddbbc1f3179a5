import type { CommentRow } from "../../store/comments.js";

/** An internal note on a contact, by an agent; mentions name the users it concerns. */
export interface Comment {
  id: number;
  contactId: number;
  text: string;
  author: { id: number; name: string } | null;
  mentions: Array<{ userId: number; name: string }>;
  createdAt: Date;
  updatedAt: Date;
}

export function toComment(row: CommentRow): Comment {
  return {
    id: row.id,
    contactId: row.contact_id,
    text: row.text,
    author: row.author_id === null ? null : { id: row.author_id, name: row.author_name ?? "" },
    mentions: row.mentions.map((m) => ({ userId: m.user_id, name: m.name })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
