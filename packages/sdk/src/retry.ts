/** When and how long to wait before retrying an attempt. */

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Statuses worth another attempt: the request may well succeed later. A 409 only when the same
 * Idempotency-Key is still being processed, or when another request changed the same records at
 * the same moment (nothing was changed); any other conflict will not go away by itself.
 */
export function isRetryableStatus(status: number, code: string | undefined): boolean {
  if (status === 409) return code === "idempotency_in_progress" || code === "concurrent_change";
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Milliseconds to wait before retry number `retry` (0-based): the server's Retry-After when it gave
 * one (capped, so a hostile or confused server cannot park the caller), else exponential backoff
 * with up to 25% jitter downwards so that many clients do not retry in lockstep.
 */
export function retryDelay(retry: number, retryAfter: string | null, random: () => number = Math.random): number {
  const fromServer = parseRetryAfter(retryAfter);
  if (fromServer !== undefined) return Math.min(fromServer, MAX_RETRY_AFTER_MS);
  const backoff = Math.min(INITIAL_DELAY_MS * 2 ** retry, MAX_DELAY_MS);
  return Math.round(backoff * (1 - 0.25 * random()));
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A timer that an AbortSignal can cut short (rejecting with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
