import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface FollowerRow {
  contact_id: number;
  user_id: number;
  name: string;
  created_at: Date;
}

/** Makes the user follow the contact; following twice is the same as once. */
export async function addFollower(db: Queryable, accountId: number, contactId: number, userId: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO contact_followers (account_id, contact_id, user_id) VALUES (${accountId}, ${contactId}, ${userId})
    ON CONFLICT DO NOTHING`);
}

export async function removeFollower(
  db: Queryable,
  accountId: number,
  contactId: number,
  userId: number,
): Promise<number> {
  return db.execute(sql`
    DELETE FROM contact_followers WHERE account_id = ${accountId} AND contact_id = ${contactId} AND user_id = ${userId}`);
}

export async function listFollowers(db: Queryable, accountId: number, contactId: number): Promise<FollowerRow[]> {
  return db.query<FollowerRow>(sql`
    SELECT f.contact_id, f.user_id, u.name, f.created_at
    FROM contact_followers f JOIN users u ON u.account_id = f.account_id AND u.id = f.user_id
    WHERE f.account_id = ${accountId} AND f.contact_id = ${contactId}
    ORDER BY f.created_at, f.user_id`);
}

/** The followers of many contacts of one account at once, for the event dispatcher. */
export async function followersOfContacts(
  db: Queryable,
  accountId: number,
  contactIds: number[],
): Promise<Map<number, Array<{ userId: number; since: Date }>>> {
  const followers = new Map<number, Array<{ userId: number; since: Date }>>();
  if (contactIds.length === 0) return followers;
  const rows = await db.query<{ contact_id: number; user_id: number; created_at: Date }>(sql`
    SELECT contact_id, user_id, created_at FROM contact_followers
    WHERE account_id = ${accountId} AND contact_id = ANY(${contactIds}::bigint[])
    ORDER BY contact_id, user_id`);
  for (const row of rows) {
    const list = followers.get(row.contact_id) ?? [];
    list.push({ userId: row.user_id, since: row.created_at });
    followers.set(row.contact_id, list);
  }
  return followers;
}
