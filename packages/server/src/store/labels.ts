import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface LabelRow {
  id: number;
  name: string;
  color: string | null;
  description: string | null;
  contacts_count: number;
  created_at: Date;
}

/** Ids of the named labels, creating the ones the account does not have yet. */
export async function ensureLabels(db: Queryable, accountId: number, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  await db.execute(sql`
    INSERT INTO labels (account_id, name) SELECT ${accountId}, unnest(${names}::text[])
    ON CONFLICT (account_id, name) DO NOTHING`);
  const rows = await db.query<{ id: number }>(
    sql`SELECT id FROM labels WHERE account_id = ${accountId} AND name = ANY(${names}::text[])`,
  );
  return rows.map((row) => row.id);
}

export async function replaceContactLabels(
  db: Queryable,
  accountId: number,
  contactId: number,
  labelIds: number[],
): Promise<void> {
  await db.execute(sql`
    DELETE FROM contact_labels WHERE account_id = ${accountId} AND contact_id = ${contactId}
      AND NOT (label_id = ANY(${labelIds}::bigint[]))`);
  await addContactLabels(db, accountId, contactId, labelIds);
}

export async function addContactLabels(
  db: Queryable,
  accountId: number,
  contactId: number,
  labelIds: number[],
): Promise<void> {
  if (labelIds.length === 0) return;
  await db.execute(sql`
    INSERT INTO contact_labels (account_id, contact_id, label_id, name)
    SELECT l.account_id, ${contactId}, l.id, l.name FROM labels l
    WHERE l.account_id = ${accountId} AND l.id = ANY(${labelIds}::bigint[])
    ON CONFLICT DO NOTHING`);
}

export async function removeContactLabels(
  db: Queryable,
  accountId: number,
  contactId: number,
  names: string[],
): Promise<void> {
  await db.execute(sql`
    DELETE FROM contact_labels
    WHERE account_id = ${accountId} AND contact_id = ${contactId} AND name = ANY(${names}::text[])`);
}

export async function contactLabelNames(db: Queryable, accountId: number, contactId: number): Promise<string[]> {
  const rows = await db.query<{ name: string }>(sql`
    SELECT name FROM contact_labels
    WHERE account_id = ${accountId} AND contact_id = ${contactId} ORDER BY name`);
  return rows.map((row) => row.name);
}

export async function listLabels(db: Queryable, accountId: number): Promise<LabelRow[]> {
  return db.query<LabelRow>(sql`
    SELECT l.id, l.name, l.color, l.description, l.created_at, coalesce(n.count, 0) AS contacts_count
    FROM labels l
    LEFT JOIN (
      SELECT label_id, count(*) AS count FROM contact_labels WHERE account_id = ${accountId} GROUP BY label_id
    ) n ON n.label_id = l.id
    WHERE l.account_id = ${accountId}
    ORDER BY l.name`);
}
