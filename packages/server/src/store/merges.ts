import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** How many records of each kind moved from the merged-away contact to the survivor. */
export interface MovedCounts {
  conversations: number;
  contact_inboxes: number;
  comments: number;
  files: number;
  activities: number;
  labels: number;
  followers: number;
}

/**
 * Moves everything attached to `fromId` onto `intoId`. Labels and followers are unions: a link
 * the survivor already has is kept once, and a moved link keeps when it was made (a follower of
 * the mergee followed before the merge, and hears of it).
 */
export async function moveLinkedRecords(
  db: Queryable,
  accountId: number,
  fromId: number,
  intoId: number,
): Promise<MovedCounts> {
  const move = (table: string) =>
    db.execute(sql`
      UPDATE ${sql.raw(table)} SET contact_id = ${intoId} WHERE account_id = ${accountId} AND contact_id = ${fromId}`);
  const union = async (table: string, columns: string) => {
    const moved = await db.execute(sql`
      INSERT INTO ${sql.raw(table)} (account_id, contact_id, ${sql.raw(columns)}, created_at)
      SELECT account_id, ${intoId}, ${sql.raw(columns)}, created_at FROM ${sql.raw(table)}
      WHERE account_id = ${accountId} AND contact_id = ${fromId}
      ON CONFLICT DO NOTHING`);
    await db.execute(sql`DELETE FROM ${sql.raw(table)} WHERE account_id = ${accountId} AND contact_id = ${fromId}`);
    return moved;
  };
  return {
    conversations: await move("conversations"),
    contact_inboxes: await move("contact_inboxes"),
    comments: await move("comments"),
    files: await move("files"),
    activities: await move("activities"),
    labels: await union("contact_labels", "label_id, name"),
    followers: await union("contact_followers", "user_id"),
  };
}

/** Remembers the merge, and points earlier merges into the merged-away contact at the survivor. */
export async function recordMerge(
  db: Queryable,
  accountId: number,
  merge: { mergedId: number; intoId: number; actorId: number | null },
): Promise<void> {
  await db.execute(sql`
    UPDATE contact_merges SET into_id = ${merge.intoId}
    WHERE account_id = ${accountId} AND into_id = ${merge.mergedId}`);
  await db.execute(sql`
    INSERT INTO contact_merges (account_id, merged_id, into_id, actor_id)
    VALUES (${accountId}, ${merge.mergedId}, ${merge.intoId}, ${merge.actorId})
    ON CONFLICT (account_id, merged_id) DO UPDATE SET into_id = EXCLUDED.into_id`);
}

/** The contact a merged-away id now lives on, if it was merged and the survivor still exists. */
export async function survivorOf(db: Queryable, accountId: number, mergedId: number): Promise<number | null> {
  const [row] = await db.query<{ into_id: number }>(sql`
    SELECT m.into_id FROM contact_merges m
    JOIN contacts c ON c.account_id = m.account_id AND c.id = m.into_id
    WHERE m.account_id = ${accountId} AND m.merged_id = ${mergedId}`);
  return row?.into_id ?? null;
}

export async function agentsCanMerge(db: Queryable, accountId: number): Promise<boolean> {
  const [row] = await db.query<{ agents_can_merge: boolean }>(
    sql`SELECT agents_can_merge FROM accounts WHERE id = ${accountId}`,
  );
  return row?.agents_can_merge ?? false;
}

export async function setAgentsCanMerge(db: Queryable, accountId: number, allowed: boolean): Promise<void> {
  await db.execute(sql`UPDATE accounts SET agents_can_merge = ${allowed} WHERE id = ${accountId}`);
}
