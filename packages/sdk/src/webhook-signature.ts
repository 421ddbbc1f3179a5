import { ContactdError, WebhookVerificationError } from "./errors.js";
import type { WebhookEvent, WebhookHeaders, WebhookSignatureHeaders, WebhookVerifyOptions } from "./webhook-types.js";

/**
 * Signing and checking webhook requests the Standard Webhooks way: `webhook-signature` holds
 * `v1,<base64 HMAC-SHA256>` of "<webhook-id>.<webhook-timestamp>.<raw body>", keyed with the bytes of
 * the `whsec_` secret. Web Crypto only, so it runs in Node, browsers and edge runtimes alike.
 */

const SECRET_PREFIX = "whsec_";
const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The headers that sign `payload` as contactd would, for testing a receiver:
 * `await signWebhook(body, secret, { id: "evt_1", timestamp: new Date() })`.
 */
export async function signWebhook(
  payload: string | Uint8Array,
  secret: string,
  attempt: { id: string; timestamp: number | Date },
): Promise<WebhookSignatureHeaders> {
  const seconds = attempt.timestamp instanceof Date ? attempt.timestamp.getTime() / 1000 : attempt.timestamp;
  if (!Number.isFinite(seconds)) throw new ContactdError("The webhook timestamp must be a valid date or number");
  const timestamp = String(Math.floor(seconds));
  const subtle = webCrypto();
  const key = await subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await subtle.sign("HMAC", key, signedContent(attempt.id, timestamp, payload));
  return {
    "webhook-id": attempt.id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${toBase64(new Uint8Array(signature))}`,
  };
}

/**
 * Checks that a webhook request came from contactd and is recent, and returns its event. Pass the
 * body exactly as received (before any JSON parsing: re-serialised JSON will not match).
 *
 * ```ts
 * const event = await verifyWebhook(await request.text(), request.headers, webhookSecret);
 * ```
 *
 * Throws WebhookVerificationError when a signing header is missing, the timestamp is more than
 * `toleranceSeconds` (default 300) away from now in either direction (a replay, or a bad clock), or
 * no `v1` signature matches; any one match suffices, so requests signed during a secret rotation
 * pass. Answer those with a 400. Deduplicate by `event.id`, which stays the same across retries.
 */
export async function verifyWebhook<E extends WebhookEvent = WebhookEvent>(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: WebhookVerifyOptions = {},
): Promise<E> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("The webhook-timestamp header is not a number");
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  // NaN would compare false below and accept any timestamp.
  if (!(tolerance >= 0)) throw new ContactdError("toleranceSeconds must be a number ≥ 0");
  if (!Number.isFinite(now)) throw new ContactdError("now must be a valid Date");
  const age = now - Number(timestamp);
  if (age > tolerance) throw new WebhookVerificationError(`The webhook timestamp is too old (${age} s ago)`);
  if (age < -tolerance) throw new WebhookVerificationError(`The webhook timestamp is in the future (${-age} s ahead)`);

  const expected = (await signWebhook(payload, secret, { id, timestamp: Number(timestamp) }))["webhook-signature"];
  let matched = false;
  // Every entry is compared, with no early exit, so the time taken says nothing about which matched.
  for (const entry of signatures.split(/\s+/)) {
    if (entry.startsWith("v1,") && timingSafeEqual(entry, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("No webhook signature matches the payload and secret");

  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  try {
    return JSON.parse(text) as E;
  } catch (error) {
    throw new WebhookVerificationError("The webhook payload is not JSON", { cause: error });
  }
}

/** A header by case-insensitive name, from `Headers` or a plain object such as Node's request headers. */
function header(headers: WebhookHeaders, name: string): string {
  let value: string | string[] | null | undefined;
  // Duck-typed, so Headers from another fetch implementation work too.
  if (typeof (headers as Headers).get === "function") value = (headers as Headers).get(name);
  else {
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  const text = (Array.isArray(value) ? value.join(" ") : (value ?? "")).trim();
  if (text === "") throw new WebhookVerificationError(`The ${name} header is missing`);
  return text;
}

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional). */
function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  if (typeof secret !== "string") throw new ContactdError("The webhook secret must be a string");
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  let key: Uint8Array<ArrayBuffer>;
  try {
    key = fromBase64(encoded);
  } catch (error) {
    throw new ContactdError("The webhook secret is not whsec_ followed by base64", { cause: error });
  }
  // A configuration mistake, not a bad request: kept apart from WebhookVerificationError on purpose.
  if (key.length === 0) throw new ContactdError("The webhook secret is empty");
  return key;
}

/** "<id>.<timestamp>." then the body's bytes as received, never re-encoded. */
function signedContent(id: string, timestamp: string, payload: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  if (typeof payload === "string") return encoder.encode(`${id}.${timestamp}.${payload}`);
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + payload.length);
  content.set(prefix);
  content.set(payload, prefix.length);
  return content;
}

/** Equal strings, in a time that depends only on `expected`'s length. */
function timingSafeEqual(actual: string, expected: string): boolean {
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= (actual.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return difference === 0;
}

function webCrypto(): typeof globalThis.crypto.subtle {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    // Node 18 keeps Web Crypto off the global object unless flagged; importing node:crypto here
    // instead would break the SDK in browsers.
    throw new ContactdError(
      "Web Crypto (globalThis.crypto.subtle) is not available; on Node 18 run node with " +
        "--experimental-global-webcrypto, or assign the webcrypto export of node:crypto to globalThis.crypto",
    );
  }
  return subtle;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
