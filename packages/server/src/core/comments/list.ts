import { listComments as listRows } from "../../store/comments.js";
import { findContact } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { type Comment, toComment } from "./comment.js";

export async function listComments(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: { limit?: number; skip?: number },
): Promise<{ data: Comment[]; hasMore: boolean }> {
  const limit = checkLimit(input.limit);
  if (!(await findContact(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  const rows = await listRows(deps.db, actor.accountId, contactId, { limit: limit + 1, skip: input.skip ?? 0 });
  return { data: rows.slice(0, limit).map(toComment), hasMore: rows.length > limit };
}
