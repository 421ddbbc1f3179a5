import type { StoredFile } from "../core/files/file.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

interface FileRow {
  account_id: number;
  id: number;
  contact_id: number;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  storage_key: string;
  uploaded_by: number | null;
  created_at: Date;
}

const FILE_COLUMNS = sql`account_id, id, contact_id, name, content_type, size, sha256, storage_key, uploaded_by, created_at`;

function toFile(row: FileRow): StoredFile {
  return {
    accountId: row.account_id,
    id: row.id,
    contactId: row.contact_id,
    name: row.name,
    contentType: row.content_type,
    size: row.size,
    sha256: row.sha256,
    storageKey: row.storage_key,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at,
  };
}

export interface NewFile {
  contactId: number;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  storageKey: string;
  uploadedBy: number;
}

export async function insertFile(db: Queryable, accountId: number, file: NewFile): Promise<StoredFile> {
  const [row] = await db.query<FileRow>(sql`
    INSERT INTO files (account_id, contact_id, name, content_type, size, sha256, storage_key, uploaded_by)
    VALUES (${accountId}, ${file.contactId}, ${file.name}, ${file.contentType}, ${file.size}, ${file.sha256},
      ${file.storageKey}, ${file.uploadedBy})
    RETURNING ${FILE_COLUMNS}`);
  return toFile(row as FileRow);
}

export async function findFile(
  db: Queryable,
  accountId: number,
  contactId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<StoredFile | null> {
  const lock = options.forUpdate ? sql` FOR UPDATE` : sql.empty;
  const rows = await db.query<FileRow>(sql`
    SELECT ${FILE_COLUMNS} FROM files
    WHERE account_id = ${accountId} AND contact_id = ${contactId} AND id = ${id}${lock}`);
  return rows[0] ? toFile(rows[0]) : null;
}

/** Newest first; id breaks ties so pages are stable. */
export async function listFiles(
  db: Queryable,
  accountId: number,
  contactId: number,
  page: { limit: number; skip: number },
): Promise<StoredFile[]> {
  const rows = await db.query<FileRow>(sql`
    SELECT ${FILE_COLUMNS} FROM files WHERE account_id = ${accountId} AND contact_id = ${contactId}
    ORDER BY id DESC LIMIT ${page.limit} OFFSET ${page.skip}`);
  return rows.map(toFile);
}

export async function deleteFileRow(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.execute(sql`DELETE FROM files WHERE account_id = ${accountId} AND id = ${id}`);
}

export async function fileStorageKeysOfContact(db: Queryable, accountId: number, contactId: number): Promise<string[]> {
  const rows = await db.query<{ storage_key: string }>(
    sql`SELECT storage_key FROM files WHERE account_id = ${accountId} AND contact_id = ${contactId}`,
  );
  return rows.map((row) => row.storage_key);
}

/**
 * Holds a contact in place while a record is attached to or detached from it: false when the
 * contact does not exist. A contact being deleted (row locked FOR UPDATE) makes this wait, so a
 * file is either seen by that delete or refused for want of its contact, never orphaned.
 */
export async function lockContactForChild(db: Queryable, accountId: number, contactId: number): Promise<boolean> {
  const rows = await db.query(
    sql`SELECT 1 FROM contacts WHERE account_id = ${accountId} AND id = ${contactId} FOR KEY SHARE`,
  );
  return rows.length > 0;
}

export async function contactExists(db: Queryable, accountId: number, contactId: number): Promise<boolean> {
  const rows = await db.query(sql`SELECT 1 FROM contacts WHERE account_id = ${accountId} AND id = ${contactId}`);
  return rows.length > 0;
}
