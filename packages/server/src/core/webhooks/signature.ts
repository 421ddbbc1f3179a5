import { createHmac, randomBytes } from "node:crypto";

/** Signing secrets follow the Standard Webhooks format: "whsec_" and base64 key bytes. */
const PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(24).toString("base64")}`;
}

/**
 * The Standard Webhooks headers for one attempt: the signature is HMAC-SHA256, keyed with the
 * secret's bytes, over "id.timestamp.body", so a receiver can check the body, its origin and its age.
 */
export function signatureHeaders(secret: string, id: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.slice(PREFIX.length), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}
