import { countComments, findComment, listComments as listRows } from "../../store/comments.js";
import { findContact } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { type Comment, toComment } from "./comment.js";

export interface CommentPageInput {
  limit?: number;
  skip?: number;
  /** Also count every comment on the contact (one more query). */
  withTotal?: boolean;
}

export async function listComments(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: CommentPageInput,
): Promise<{ data: Comment[]; hasMore: boolean; total?: number }> {
  const limit = checkLimit(input.limit);
  if (!(await findContact(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  const [rows, total] = await Promise.all([
    listRows(deps.db, actor.accountId, contactId, { limit: limit + 1, skip: input.skip ?? 0 }),
    input.withTotal ? countComments(deps.db, actor.accountId, contactId) : undefined,
  ]);
  return {
    data: rows.slice(0, limit).map(toComment),
    hasMore: rows.length > limit,
    ...(total === undefined ? {} : { total }),
  };
}

export async function getComment(deps: CoreDeps, actor: Actor, contactId: number, id: number): Promise<Comment> {
  const row = await findComment(deps.db, actor.accountId, contactId, id);
  if (!row) throw new NotFoundError("comment");
  return toComment(row);
}
