import type { FastifyReply, FastifyRequest } from "fastify";
import type { Contact } from "../../core/contacts/contact.js";
import { contactVersion, type ExpectedVersions } from "../../core/contacts/version.js";

/**
 * Optimistic concurrency for contacts: every response carrying a contact has its version as a
 * strong ETag; a write with If-Match applies only to one of the listed versions (412 otherwise),
 * and a GET with If-None-Match naming the current version answers 304 with no body.
 */

/** Sets the contact's ETag on the reply and returns it. */
export function sendVersion(reply: FastifyReply, contact: Contact): string {
  const etag = `"${contactVersion(contact)}"`;
  reply.header("etag", etag);
  return etag;
}

/**
 * If-Match as the versions a write may apply to; undefined when absent or `*` (any current
 * version of an existing contact). Only strong tags count: a weak or malformed one never matches,
 * as RFC 9110 asks of If-Match.
 */
export function expectedVersions(request: FastifyRequest): ExpectedVersions {
  const header = request.headers["if-match"];
  if (header === undefined || header.trim() === "*") return undefined;
  return entityTags(header).flatMap((tag) => (isStrong(tag) ? [tag.slice(1, -1)] : []));
}

/** Whether If-None-Match names this ETag (weakly compared) or is `*`. */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers["if-none-match"];
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return entityTags(header).some((tag) => (tag.startsWith("W/") ? tag.slice(2) : tag) === etag);
}

function entityTags(header: string): string[] {
  return header
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

function isStrong(tag: string): boolean {
  return tag.length >= 2 && tag.startsWith('"') && tag.endsWith('"');
}
