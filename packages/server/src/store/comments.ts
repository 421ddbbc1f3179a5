import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface CommentRow {
  id: number;
  contact_id: number;
  author_id: number | null;
  author_name: string | null;
  text: string;
  mentions: Array<{ user_id: number; name: string }>;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`
  SELECT c.id, c.contact_id, c.author_id, u.name AS author_name, c.text, c.created_at, c.updated_at,
    coalesce((
      SELECT jsonb_agg(jsonb_build_object('user_id', m.user_id, 'name', mu.name) ORDER BY m.user_id)
      FROM comment_mentions m JOIN users mu ON mu.account_id = m.account_id AND mu.id = m.user_id
      WHERE m.account_id = c.account_id AND m.comment_id = c.id), '[]'::jsonb) AS mentions
  FROM comments c LEFT JOIN users u ON u.account_id = c.account_id AND u.id = c.author_id`;

export async function insertComment(
  db: Queryable,
  accountId: number,
  row: { contactId: number; authorId: number; text: string },
): Promise<number> {
  const [inserted] = await db.query<{ id: number }>(sql`
    INSERT INTO comments (account_id, contact_id, author_id, text)
    VALUES (${accountId}, ${row.contactId}, ${row.authorId}, ${row.text}) RETURNING id`);
  return (inserted as { id: number }).id;
}

export async function updateCommentText(db: Queryable, accountId: number, id: number, text: string): Promise<void> {
  await db.execute(
    sql`UPDATE comments SET text = ${text}, updated_at = now() WHERE account_id = ${accountId} AND id = ${id}`,
  );
}

export async function deleteComment(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.execute(sql`DELETE FROM comments WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function replaceMentions(
  db: Queryable,
  accountId: number,
  commentId: number,
  userIds: number[],
): Promise<void> {
  await db.execute(sql`DELETE FROM comment_mentions WHERE account_id = ${accountId} AND comment_id = ${commentId}`);
  if (userIds.length === 0) return;
  await db.execute(sql`
    INSERT INTO comment_mentions (account_id, comment_id, user_id)
    SELECT ${accountId}, ${commentId}, unnest(${userIds}::bigint[])`);
}

export async function findComment(
  db: Queryable,
  accountId: number,
  contactId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<CommentRow | null> {
  const lock = options.forUpdate ? sql` FOR UPDATE OF c` : sql.empty;
  const rows = await db.query<CommentRow>(
    sql`${SELECT} WHERE c.account_id = ${accountId} AND c.contact_id = ${contactId} AND c.id = ${id}${lock}`,
  );
  return rows[0] ?? null;
}

export async function listComments(
  db: Queryable,
  accountId: number,
  contactId: number,
  page: { limit: number; skip: number },
): Promise<CommentRow[]> {
  return db.query<CommentRow>(sql`${SELECT}
    WHERE c.account_id = ${accountId} AND c.contact_id = ${contactId}
    ORDER BY c.created_at DESC, c.id DESC LIMIT ${page.limit} OFFSET ${page.skip}`);
}

export async function countComments(db: Queryable, accountId: number, contactId: number): Promise<number> {
  const [row] = await db.query<{ n: string }>(
    sql`SELECT count(*) AS n FROM comments WHERE account_id = ${accountId} AND contact_id = ${contactId}`,
  );
  return Number(row?.n ?? 0);
}

/** Which of these user ids exist in the account. */
export async function existingUserIds(db: Queryable, accountId: number, userIds: number[]): Promise<number[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<{ id: number }>(
    sql`SELECT id FROM users WHERE account_id = ${accountId} AND id = ANY(${userIds}::bigint[])`,
  );
  return rows.map((row) => row.id);
}
