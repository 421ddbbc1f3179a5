import { existingUserIds } from "../../store/comments.js";
import type { Queryable } from "../../store/database.js";
import { FieldErrors } from "../errors.js";

// Chatwoot's editor writes a mention as [@Name](mention://user/12/Name); clients reuse that markup.
const MENTION = /\(mention:\/\/user\/(\d{1,15})(?:\/[^)]*)?\)/g;

/** User ids mentioned in the text's markup and in an explicit list, checked against the account. */
export async function mentionedUsers(
  db: Queryable,
  accountId: number,
  text: string,
  explicit: string[] = [],
): Promise<number[]> {
  const errors = new FieldErrors();
  const ids = new Set<number>();
  for (const match of text.matchAll(MENTION)) ids.add(Number(match[1]));
  for (const [index, id] of explicit.entries()) {
    if (!/^[1-9][0-9]{0,14}$/.test(id)) errors.add(`mentions[${index}]`, "invalid_value", "must be a user id");
    else ids.add(Number(id));
  }
  errors.throwIfAny();
  const wanted = [...ids];
  const known = new Set(await existingUserIds(db, accountId, wanted));
  for (const id of wanted) {
    if (!known.has(id)) errors.add("mentions", "unknown_user", `user ${id} is not a user of this account`);
  }
  errors.throwIfAny();
  return wanted.sort((a, b) => a - b);
}
