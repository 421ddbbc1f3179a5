import type { ImageType } from "../core/files/sniff.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface AvatarRow {
  account_id: number;
  key: string;
  content_type: ImageType;
  size: number;
  sha256: string;
  created_at: Date;
}

export async function insertAvatar(
  db: Queryable,
  accountId: number,
  avatar: { key: string; contentType: ImageType; size: number; sha256: string },
): Promise<AvatarRow> {
  const [row] = await db.query<AvatarRow>(sql`
    INSERT INTO avatars (account_id, key, content_type, size, sha256)
    VALUES (${accountId}, ${avatar.key}, ${avatar.contentType}, ${avatar.size}, ${avatar.sha256})
    RETURNING account_id, key, content_type, size, sha256, created_at`);
  return row as AvatarRow;
}

/** By key alone: avatars are served publicly, and the key is unique across accounts. */
export async function findAvatar(db: Queryable, key: string): Promise<AvatarRow | null> {
  const rows = await db.query<AvatarRow>(
    sql`SELECT account_id, key, content_type, size, sha256, created_at FROM avatars WHERE key = ${key}`,
  );
  return rows[0] ?? null;
}

export async function deleteAvatarRow(db: Queryable, accountId: number, key: string): Promise<void> {
  await db.execute(sql`DELETE FROM avatars WHERE account_id = ${accountId} AND key = ${key}`);
}

/** The contact's avatar columns; null when there is no such contact. */
export async function contactAvatar(
  db: Queryable,
  accountId: number,
  contactId: number,
): Promise<{ avatarKey: string | null; avatarUrl: string | null } | null> {
  const rows = await db.query<{ avatar_key: string | null; avatar_url: string | null }>(
    sql`SELECT avatar_key, avatar_url FROM contacts WHERE account_id = ${accountId} AND id = ${contactId}`,
  );
  const row = rows[0];
  return row ? { avatarKey: row.avatar_key, avatarUrl: row.avatar_url } : null;
}

export async function setContactAvatarColumns(
  db: Queryable,
  accountId: number,
  contactId: number,
  avatar: { key: string | null; url: string | null },
): Promise<void> {
  await db.execute(sql`
    UPDATE contacts SET avatar_key = ${avatar.key}, avatar_url = ${avatar.url}, updated_at = now()
    WHERE account_id = ${accountId} AND id = ${contactId}`);
}

export async function clearContactAvatarKey(db: Queryable, accountId: number, contactId: number): Promise<void> {
  await db.execute(sql`UPDATE contacts SET avatar_key = NULL WHERE account_id = ${accountId} AND id = ${contactId}`);
}
