import type { CredentialSecretRow } from "../../store/credentials.js";
import type { Actor } from "../actor.js";
import { AuthenticationError } from "../errors.js";
import type { CredentialCache } from "./credential-cache.js";
import { hashSecret, sameSecret, secretMatches, splitToken } from "./secrets.js";

const KEY = /^[A-Za-z0-9_-]{8,128}$/;
// Compared against when the key is unknown, so a miss costs the same as a wrong secret.
const DECOY = hashSecret("decoy");

/**
 * The secret last proven against each row the credential cache holds, so a credential's next
 * requests skip the digest (in a server under load, about as costly as the rest of the lookup).
 * It lives as long as the cache keeps that row object: a revocation or the cache's expiry drops
 * it with the row. Only the salted hash is ever stored.
 */
const proven = new WeakMap<CredentialSecretRow, string>();

/**
 * Resolves a key and secret to the acting user; revoked or unknown credentials fail alike. A
 * secret already proven against the cached row answers at once, with no promise: that is nearly
 * every request, and each promise layer costs a turn of the microtask queue.
 */
export function authenticate(credentials: CredentialCache, key: string, secret: string): Actor | Promise<Actor> {
  const cached = credentials.cached(key);
  if (cached && cached.revoked_at === null && sameSecret(proven.get(cached), secret)) return actorOf(cached);
  return verify(credentials, key, secret);
}

async function verify(credentials: CredentialCache, key: string, secret: string): Promise<Actor> {
  const row = KEY.test(key) && secret.length <= 512 ? await credentials.find(key) : null;
  if (row && row.revoked_at === null && sameSecret(proven.get(row), secret)) return actorOf(row);
  const stored = row ? { salt: row.secret_salt, hash: row.secret_hash } : DECOY;
  const matches = secretMatches(secret, stored.salt, stored.hash);
  if (!row || !matches || row.revoked_at !== null) throw new AuthenticationError();
  proven.set(row, secret);
  return actorOf(row);
}

function actorOf(row: CredentialSecretRow): Actor {
  return { accountId: row.account_id, userId: row.user_id, role: row.role, credentialId: row.id };
}

/** Resolves a single-string token (`key.secret`, as issued with every API key) to the acting user. */
export function authenticateToken(credentials: CredentialCache, token: string): Actor | Promise<Actor> {
  const parts = splitToken(token.trim());
  if (!parts) return Promise.reject(new AuthenticationError());
  return authenticate(credentials, parts.key, parts.secret);
}
