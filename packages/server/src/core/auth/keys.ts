import { findAccount, findUser, insertUser, listUsers as listUserRows, type UserRow } from "../../store/accounts.js";
import {
  type CredentialRow,
  credentialKeyExists,
  findCredential,
  insertCredential,
  listCredentials,
  revokeCredential,
} from "../../store/credentials.js";
import { isPgError, PG_UNIQUE_VIOLATION, type Queryable } from "../../store/database.js";
import { type Actor, ROLES, type Role, requireAdministrator } from "../actor.js";
import { normalizeEmail, normalizeName } from "../contacts/normalize.js";
import type { CoreDeps } from "../deps.js";
import { ConflictError, FieldErrors, NotFoundError } from "../errors.js";
import { generateKey, generateSecret, hashSecret, tokenOf } from "./secrets.js";

export interface User {
  id: number;
  accountId: number;
  name: string;
  email: string | null;
  role: Role;
  createdAt: Date;
}

export interface ApiKey {
  id: number;
  accountId: number;
  userId: number;
  name: string;
  key: string;
  role: Role;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A new key with its secret: the only time the secret is ever returned. */
export interface IssuedApiKey extends ApiKey {
  secret: string;
  token: string;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  email: row.email,
  role: row.role,
  createdAt: row.created_at,
});

const toApiKey = (row: CredentialRow): ApiKey => ({
  id: row.id,
  accountId: row.account_id,
  userId: row.user_id,
  name: row.name,
  key: row.key,
  role: row.role,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export async function whoAmI(deps: CoreDeps, actor: Actor) {
  const [user, account] = await Promise.all([
    findUser(deps.db, actor.accountId, actor.userId),
    findAccount(deps.db, actor.accountId),
  ]);
  if (!user || !account) throw new NotFoundError("user");
  return { user: toUser(user), account: { id: account.id, name: account.name }, credentialId: actor.credentialId };
}

export async function listUsers(deps: CoreDeps, actor: Actor): Promise<User[]> {
  requireAdministrator(actor);
  return (await listUserRows(deps.db, actor.accountId)).map(toUser);
}

export async function createUser(
  deps: CoreDeps,
  actor: Actor,
  input: { name: string; email?: string | null; role: Role },
): Promise<User> {
  requireAdministrator(actor);
  const errors = new FieldErrors();
  const name = normalizeName(input.name, errors);
  if (name === "") errors.add("name", "required", "give the user a name");
  const email = input.email === undefined ? null : normalizeEmail(input.email, errors);
  if (!ROLES.includes(input.role)) errors.add("role", "invalid_role", `must be one of ${ROLES.join(", ")}`);
  errors.throwIfAny();
  try {
    return toUser(
      await deps.db.transaction((tx) => insertUser(tx, actor.accountId, { name, email, role: input.role })),
    );
  } catch (error) {
    if (isPgError(error, PG_UNIQUE_VIOLATION)) {
      throw new ConflictError("email_taken", "Another user already has this email", "email");
    }
    throw error;
  }
}

export async function listApiKeys(deps: CoreDeps, actor: Actor): Promise<ApiKey[]> {
  requireAdministrator(actor);
  return (await listCredentials(deps.db, actor.accountId)).map(toApiKey);
}

export async function createApiKey(
  deps: CoreDeps,
  actor: Actor,
  input: { userId: number; name?: string },
): Promise<IssuedApiKey> {
  requireAdministrator(actor);
  const user = await findUser(deps.db, actor.accountId, input.userId);
  if (!user) throw new NotFoundError("user");
  return deps.db.transaction((tx) => issueApiKey(tx, actor.accountId, user.id, input.name ?? ""));
}

export async function revokeApiKey(deps: CoreDeps, actor: Actor, id: number): Promise<ApiKey> {
  requireAdministrator(actor);
  const existing = await findCredential(deps.db, actor.accountId, id);
  if (!existing) throw new NotFoundError("api_key");
  await revokeCredential(deps.db, actor.accountId, id);
  return toApiKey((await findCredential(deps.db, actor.accountId, id)) as CredentialRow);
}

/** Stores a credential for a user; key and secret are generated unless given (bootstrap). */
export async function issueApiKey(
  db: Queryable,
  accountId: number,
  userId: number,
  name: string,
  given?: { key: string; secret: string },
): Promise<IssuedApiKey> {
  const key = given?.key ?? generateKey();
  const secret = given?.secret ?? generateSecret();
  if (given && (await credentialKeyExists(db, key))) {
    throw new ConflictError("key_taken", "A credential with this key already exists", "key");
  }
  const { salt, hash } = hashSecret(secret);
  const id = await insertCredential(db, accountId, { userId, name, key, salt, hash });
  const row = (await findCredential(db, accountId, id)) as CredentialRow;
  return { ...toApiKey(row), secret, token: tokenOf(key, secret) };
}
