import { findUser } from "../../store/accounts.js";
import { findContact } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { addFollower, type FollowerRow, listFollowers, removeFollower } from "../../store/followers.js";
import { type Actor, requireAdministrator } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";

/**
 * Following a contact means being notified of what others do to it (see notificationsFor).
 * Anyone may follow or unfollow for themselves; only an administrator may do it for another user.
 * Users also start following a contact when they comment on it or a conversation of it is
 * assigned to them.
 */

export interface Follower {
  user: { id: number; name: string };
  since: Date;
}

export async function listContactFollowers(deps: CoreDeps, actor: Actor, contactId: number): Promise<Follower[]> {
  if (!(await findContact(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  return (await listFollowers(deps.db, actor.accountId, contactId)).map(toFollower);
}

export async function followContact(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  userId: number,
): Promise<Follower[]> {
  await checkTarget(deps.db, actor, contactId, userId);
  await addFollower(deps.db, actor.accountId, contactId, userId);
  return (await listFollowers(deps.db, actor.accountId, contactId)).map(toFollower);
}

export async function unfollowContact(deps: CoreDeps, actor: Actor, contactId: number, userId: number): Promise<void> {
  await checkTarget(deps.db, actor, contactId, userId);
  await removeFollower(deps.db, actor.accountId, contactId, userId);
}

/** Called inside the transactions that make a user take part in a contact's story. */
export async function followAsParticipant(
  tx: Queryable,
  accountId: number,
  contactId: number,
  userId: number,
): Promise<void> {
  await addFollower(tx, accountId, contactId, userId);
}

async function checkTarget(db: Queryable, actor: Actor, contactId: number, userId: number): Promise<void> {
  if (userId !== actor.userId) requireAdministrator(actor);
  if (!(await findContact(db, actor.accountId, contactId))) throw new NotFoundError("contact");
  if (!(await findUser(db, actor.accountId, userId))) throw new NotFoundError("user");
}

function toFollower(row: FollowerRow): Follower {
  return { user: { id: row.user_id, name: row.name }, since: row.created_at };
}
