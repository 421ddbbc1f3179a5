import { createHash } from "node:crypto";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  reclaimIdempotencyKey,
  releaseIdempotencyKey,
  touchIdempotencyKey,
} from "../../store/idempotency.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { BadRequestError, ConflictError, FieldErrors } from "../errors.js";

/**
 * How long a stored response is replayed, and when an unfinished claim counts as abandoned: its
 * request renews it while running (a long upload takes longer than that), so only a claim whose
 * process died goes quiet.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const ABANDONED_AFTER_SECONDS = 60;
const CLAIM_HEARTBEAT_MS = (ABANDONED_AFTER_SECONDS * 1000) / 4;

export type Claim = { kind: "proceed" } | { kind: "replay"; statusCode: number; body: string };

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest("hex");
}

/**
 * Starts an idempotent request: "proceed" when this request owns the key, "replay" with the
 * first response when it finished before. A concurrent twin gets 409, and so does a retry of a
 * request that wrote but whose process died before storing its answer; reusing a key for a
 * different request gets 422. The request must then act as `actingUnderKey` gives.
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
  if (existing.status_code === null) {
    if (abandoned && existing.applied) {
      throw new ConflictError(
        "idempotency_answer_lost",
        "The request with this Idempotency-Key was applied, but its answer was lost; it will not run again. " +
          "Look the result up, or send it with a new key to run it again",
      );
    }
    throw new ConflictError("idempotency_in_progress", "A request with this Idempotency-Key is still in progress");
  }
  if (existing.response_body === null) {
    throw new ConflictError(
      "idempotency_answer_withheld",
      "The request with this Idempotency-Key succeeded; its answer held a secret, which is shown once and not kept",
    );
  }
  return { kind: "replay", statusCode: existing.status_code, body: existing.response_body };
}

/**
 * Stores the response to replay (`null`: an answer holding a secret, which is not kept, only its
 * status); a server error instead frees the key for a retry, unless the
 * request had already written (then a retry is told its answer was lost).
 */
export async function finishIdempotency(
  deps: CoreDeps,
  actor: Actor,
  key: string,
  statusCode: number,
  body: string | null,
): Promise<void> {
  if (statusCode >= 500) await releaseIdempotencyKey(deps.db, actor.accountId, key);
  else await completeIdempotencyKey(deps.db, actor.accountId, key, statusCode, body);
}

/** Renews a claim while its request runs; returns the function that stops renewing. */
export function keepClaimAlive(deps: CoreDeps, actor: Actor, key: string): () => void {
  const timer = setInterval(() => {
    touchIdempotencyKey(deps.db, actor.accountId, key).catch(() => {});
  }, CLAIM_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function purgeExpiredIdempotencyKeys(deps: CoreDeps): Promise<number> {
  return deleteExpiredIdempotencyKeys(deps.db, IDEMPOTENCY_TTL_SECONDS);
}
