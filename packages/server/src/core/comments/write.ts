import {
  type CommentRow,
  deleteComment as deleteCommentRow,
  findComment,
  insertComment,
  replaceMentions,
  updateCommentText,
} from "../../store/comments.js";
import { findContact } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, ForbiddenError, NotFoundError } from "../errors.js";
import { recordChanges, recordEvents } from "../events/record.js";
import { followAsParticipant } from "../followers/follow.js";
import { type Comment, toComment } from "./comment.js";
import { mentionedUsers } from "./mentions.js";

/** Create, edit and delete: anyone in the account may comment; only the author or an administrator may change one. */

export interface CommentInput {
  text: string;
  mentions?: string[];
}

const MAX_TEXT = 20_000;

function checkText(text: string): string {
  const errors = new FieldErrors();
  const trimmed = text.trim();
  if (trimmed === "") errors.add("text", "required", "write something");
  else if ([...trimmed].length > MAX_TEXT) errors.add("text", "too_long", `must be at most ${MAX_TEXT} characters`);
  else if (trimmed.includes("\u0000")) errors.add("text", "invalid_characters", "must not contain NUL characters");
  errors.throwIfAny();
  return trimmed;
}

export async function createComment(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: CommentInput,
): Promise<Comment> {
  const text = checkText(input.text);
  return deps.db.transaction(async (tx) => {
    if (!(await findContact(tx, actor.accountId, contactId))) throw new NotFoundError("contact");
    const mentions = await mentionedUsers(tx, actor.accountId, text, input.mentions);
    const id = await insertComment(tx, actor.accountId, { contactId, authorId: actor.userId, text });
    await replaceMentions(tx, actor.accountId, id, mentions);
    await recordChanges(tx, actor.accountId, [
      {
        contactId,
        action: "comment.created",
        actorId: actor.userId,
        details: { comment_id: String(id), mentions: mentions.map(String) },
      },
    ]);
    await recordMentions(tx, actor, contactId, id, mentions);
    await followAsParticipant(tx, actor.accountId, contactId, actor.userId);
    return toComment((await findComment(tx, actor.accountId, contactId, id)) as CommentRow);
  });
}

export async function updateComment(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  commentId: number,
  input: CommentInput,
): Promise<Comment> {
  const text = checkText(input.text);
  return deps.db.transaction(async (tx) => {
    const current = await ownComment(tx, actor, contactId, commentId);
    const mentions = await mentionedUsers(tx, actor.accountId, text, input.mentions);
    await updateCommentText(tx, actor.accountId, commentId, text);
    const before = new Set(current.mentions.map((m) => m.user_id));
    await recordMentions(
      tx,
      actor,
      contactId,
      commentId,
      mentions.filter((userId) => !before.has(userId)),
    );
    await replaceMentions(tx, actor.accountId, commentId, mentions);
    await recordChanges(tx, actor.accountId, [
      {
        contactId,
        action: "comment.updated",
        actorId: actor.userId,
        details: { comment_id: String(current.id), mentions: mentions.map(String) },
      },
    ]);
    return toComment((await findComment(tx, actor.accountId, contactId, commentId)) as CommentRow);
  });
}

export async function deleteComment(deps: CoreDeps, actor: Actor, contactId: number, commentId: number): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await ownComment(tx, actor, contactId, commentId);
    await deleteCommentRow(tx, actor.accountId, commentId);
    await recordChanges(tx, actor.accountId, [
      { contactId, action: "comment.deleted", actorId: actor.userId, details: { comment_id: String(commentId) } },
    ]);
  });
}

/** A separate event for the users a comment newly mentions: what their notifications come from. */
async function recordMentions(tx: Queryable, actor: Actor, contactId: number, commentId: number, userIds: number[]) {
  if (userIds.length === 0) return;
  await recordEvents(tx, actor.accountId, [
    {
      type: "comment.mentioned",
      actorId: actor.userId,
      contactId,
      data: { comment_id: String(commentId), user_ids: userIds.map(String) },
    },
  ]);
}

/** The comment, locked, when the actor may change it: its author or an administrator. */
async function ownComment(tx: Queryable, actor: Actor, contactId: number, commentId: number): Promise<CommentRow> {
  const comment = await findComment(tx, actor.accountId, contactId, commentId, { forUpdate: true });
  if (!comment) throw new NotFoundError("comment");
  if (actor.role !== "administrator" && comment.author_id !== actor.userId) {
    throw new ForbiddenError("Only the author or an administrator may change this comment");
  }
  return comment;
}
