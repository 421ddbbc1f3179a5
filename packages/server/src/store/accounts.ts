import type { Role } from "../core/actor.js";
import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

export interface AccountRow {
  id: number;
  name: string;
  created_at: Date;
}

export interface UserRow {
  account_id: number;
  id: number;
  name: string;
  email: string | null;
  role: Role;
  created_at: Date;
}

export async function insertAccount(db: Queryable, name: string): Promise<AccountRow> {
  const [row] = await db.query<AccountRow>(
    sql`INSERT INTO accounts (name) VALUES (${name}) RETURNING id, name, created_at`,
  );
  return row as AccountRow;
}

export async function findAccount(db: Queryable, id: number): Promise<AccountRow | null> {
  const rows = await db.query<AccountRow>(sql`SELECT id, name, created_at FROM accounts WHERE id = ${id}`);
  return rows[0] ?? null;
}

export async function countAccounts(db: Queryable): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql`SELECT count(*) AS count FROM accounts`);
  return row?.count ?? 0;
}

const USER_COLUMNS = sql`account_id, id, name, email, role, created_at`;

export async function insertUser(
  db: Queryable,
  accountId: number,
  user: { name: string; email: string | null; role: Role },
): Promise<UserRow> {
  const [row] = await db.query<UserRow>(sql`
    INSERT INTO users (account_id, name, email, role) VALUES (${accountId}, ${user.name}, ${user.email}, ${user.role})
    RETURNING ${USER_COLUMNS}`);
  return row as UserRow;
}

export async function findUser(db: Queryable, accountId: number, id: number): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(
    sql`SELECT ${USER_COLUMNS} FROM users WHERE account_id = ${accountId} AND id = ${id}`,
  );
  return rows[0] ?? null;
}

export async function listUsers(db: Queryable, accountId: number): Promise<UserRow[]> {
  return db.query<UserRow>(sql`SELECT ${USER_COLUMNS} FROM users WHERE account_id = ${accountId} ORDER BY id`);
}

/** The account's first administrator (by id), who acts for work started outside any request. */
export async function firstAdministrator(db: Queryable, accountId: number): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(sql`
    SELECT ${USER_COLUMNS} FROM users WHERE account_id = ${accountId} AND role = 'administrator' ORDER BY id LIMIT 1`);
  return rows[0] ?? null;
}
