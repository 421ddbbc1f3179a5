import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** Normalised values an upsert looks contacts up by; a missing one matches nothing. */
export interface MatchKeys {
  identifier?: string;
  email?: string;
  phoneE164?: string;
}

/** A contact holding one or more of the keys, and which ones. */
export interface ContactMatch {
  id: number;
  identifier: string | null;
  byIdentifier: boolean;
  byEmail: boolean;
  byPhone: boolean;
}

interface MatchRow {
  id: number;
  identifier: string | null;
  by_identifier: boolean;
  by_email: boolean;
  by_phone: boolean;
}

/**
 * Every contact of the account holding any of the keys, locked FOR UPDATE in id order (so two
 * writers locking the same contacts cannot deadlock). Each key has its own unique index.
 */
export async function lockContactsMatching(db: Queryable, accountId: number, keys: MatchKeys): Promise<ContactMatch[]> {
  const conditions = [];
  if (keys.identifier !== undefined) conditions.push(sql`identifier = ${keys.identifier}`);
  if (keys.email !== undefined) conditions.push(sql`email = ${keys.email}`);
  if (keys.phoneE164 !== undefined) conditions.push(sql`phone_e164 = ${keys.phoneE164}`);
  if (conditions.length === 0) return [];
  const rows = await db.query<MatchRow>(sql`
    SELECT id, identifier,
      coalesce(identifier = ${keys.identifier ?? null}::text, false) AS by_identifier,
      coalesce(email = ${keys.email ?? null}::text, false) AS by_email,
      coalesce(phone_e164 = ${keys.phoneE164 ?? null}::text, false) AS by_phone
    FROM contacts
    WHERE account_id = ${accountId} AND (${sql.join(conditions, " OR ")})
    ORDER BY id
    FOR UPDATE`);
  return rows.map((row) => ({
    id: row.id,
    identifier: row.identifier,
    byIdentifier: row.by_identifier,
    byEmail: row.by_email,
    byPhone: row.by_phone,
  }));
}
