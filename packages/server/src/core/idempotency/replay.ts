import { createHash } from "node:crypto";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  reclaimIdempotencyKey,
  releaseIdempotencyKey,
} from "../../store/idempotency.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { BadRequestError, ConflictError, FieldErrors } from "../errors.js";

/** How long a stored response is replayed, and when an unfinished claim counts as abandoned. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const ABANDONED_AFTER_SECONDS = 60;

export type Claim = { kind: "proceed" } | { kind: "replay"; statusCode: number; body: string };

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest("hex");
}

/**
 * Starts an idempotent request: "proceed" when this request owns the key, "replay" with the
 * first response when it finished before. A concurrent twin gets 409; reusing a key for a
 * different request gets 422.
 */
export async function claimIdempotency(deps: CoreDeps, actor: Actor, key: string, fingerprint: string): Promise<Claim> {
  if (key.length === 0 || key.length > 255 || /[^\x21-\x7e]/.test(key)) {
    throw new BadRequestError("invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters");
  }
  const existing = await claimIdempotencyKey(deps.db, actor.accountId, key, fingerprint);
  if (existing === null) return { kind: "proceed" };
  const expired = existing.age_seconds > IDEMPOTENCY_TTL_SECONDS;
  const abandoned = existing.status_code === null && existing.age_seconds > ABANDONED_AFTER_SECONDS;
  if (expired || abandoned) {
    const reclaimed = await reclaimIdempotencyKey(
      deps.db,
      actor.accountId,
      key,
      fingerprint,
      ABANDONED_AFTER_SECONDS,
      IDEMPOTENCY_TTL_SECONDS,
    );
    if (reclaimed) return { kind: "proceed" };
  }
  if (existing.fingerprint !== fingerprint) {
    const errors = new FieldErrors();
    errors.add("Idempotency-Key", "key_reused", "was already used for a different request");
    errors.throwIfAny();
  }
  if (existing.status_code === null || existing.response_body === null) {
    throw new ConflictError("idempotency_in_progress", "A request with this Idempotency-Key is still in progress");
  }
  return { kind: "replay", statusCode: existing.status_code, body: existing.response_body };
}

/** Stores the response to replay; a server error instead frees the key for a retry. */
export async function finishIdempotency(
  deps: CoreDeps,
  actor: Actor,
  key: string,
  statusCode: number,
  body: string,
): Promise<void> {
  if (statusCode >= 500) await releaseIdempotencyKey(deps.db, actor.accountId, key);
  else await completeIdempotencyKey(deps.db, actor.accountId, key, statusCode, body);
}

export async function purgeExpiredIdempotencyKeys(deps: CoreDeps): Promise<number> {
  return deleteExpiredIdempotencyKeys(deps.db, IDEMPOTENCY_TTL_SECONDS);
}
