import type { Role } from "../core/actor.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** NOTIFY channel naming a key whose credential was revoked, so every process forgets it. */
export const CREDENTIALS_CHANNEL = "contactd_credentials";

export interface CredentialSecretRow {
  account_id: number;
  id: number;
  user_id: number;
  role: Role;
  secret_salt: Buffer | Uint8Array;
  secret_hash: Buffer | Uint8Array;
  revoked_at: Date | null;
}

export interface CredentialRow {
  account_id: number;
  id: number;
  user_id: number;
  name: string;
  key: string;
  role: Role;
  created_at: Date;
  revoked_at: Date | null;
}

export async function insertCredential(
  db: Queryable,
  accountId: number,
  credential: { userId: number; name: string; key: string; salt: Buffer; hash: Buffer },
): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO credentials (account_id, user_id, name, key, secret_salt, secret_hash)
    VALUES (${accountId}, ${credential.userId}, ${credential.name}, ${credential.key}, ${credential.salt}, ${credential.hash})
    RETURNING id`);
  return (row as { id: number }).id;
}

/** The only lookup not scoped to an account: the key is how a request finds its account. */
export async function findCredentialByKey(db: Queryable, key: string): Promise<CredentialSecretRow | null> {
  const rows = await db.query<CredentialSecretRow>(sql`
    SELECT cr.account_id, cr.id, cr.user_id, u.role, cr.secret_salt, cr.secret_hash, cr.revoked_at
    FROM credentials cr JOIN users u ON u.account_id = cr.account_id AND u.id = cr.user_id
    WHERE cr.key = ${key}`);
  return rows[0] ?? null;
}

export async function credentialKeyExists(db: Queryable, key: string): Promise<boolean> {
  const rows = await db.query(sql`SELECT 1 FROM credentials WHERE key = ${key}`);
  return rows.length > 0;
}

const CREDENTIAL_COLUMNS = sql`cr.account_id, cr.id, cr.user_id, cr.name, cr.key, u.role, cr.created_at, cr.revoked_at`;

export async function listCredentials(db: Queryable, accountId: number): Promise<CredentialRow[]> {
  return db.query<CredentialRow>(sql`
    SELECT ${CREDENTIAL_COLUMNS}
    FROM credentials cr JOIN users u ON u.account_id = cr.account_id AND u.id = cr.user_id
    WHERE cr.account_id = ${accountId} ORDER BY cr.id`);
}

export async function findCredential(db: Queryable, accountId: number, id: number): Promise<CredentialRow | null> {
  const rows = await db.query<CredentialRow>(sql`
    SELECT ${CREDENTIAL_COLUMNS}
    FROM credentials cr JOIN users u ON u.account_id = cr.account_id AND u.id = cr.user_id
    WHERE cr.account_id = ${accountId} AND cr.id = ${id}`);
  return rows[0] ?? null;
}

/** Revokes a credential; the NOTIFY (sent on commit) tells every process to forget it. */
export async function revokeCredential(db: Queryable, accountId: number, id: number): Promise<void> {
  await db.query(sql`
    WITH revoked AS (
      UPDATE credentials SET revoked_at = coalesce(revoked_at, now())
      WHERE account_id = ${accountId} AND id = ${id} RETURNING key
    )
    SELECT pg_notify(${CREDENTIALS_CHANNEL}, key) FROM revoked`);
}
