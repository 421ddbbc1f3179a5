import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Secrets are random and long, so a salted SHA-256 is enough to make a stolen table useless
 * without making every request pay for a slow password hash.
 */
export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): { salt: Buffer; hash: Buffer } {
  const hash = createHash("sha256").update(salt).update(secret, "utf8").digest();
  return { salt, hash };
}

export function secretMatches(secret: string, salt: Uint8Array, hash: Uint8Array): boolean {
  const candidate = hashSecret(secret, Buffer.from(salt)).hash;
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}

/** Whether a secret equals one already proven (undefined when none was), in constant time. */
export function sameSecret(known: string | undefined, secret: string): boolean {
  if (known === undefined) return false;
  const a = Buffer.from(known, "utf8");
  const b = Buffer.from(secret, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function generateKey(): string {
  return `ck_${randomBytes(15).toString("base64url")}`;
}

export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** A bearer token is the key and the secret joined by a dot; keys never contain dots. */
export function tokenOf(key: string, secret: string): string {
  return `${key}.${secret}`;
}

export function splitToken(token: string): { key: string; secret: string } | null {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot === token.length - 1) return null;
  return { key: token.slice(0, dot), secret: token.slice(dot + 1) };
}
