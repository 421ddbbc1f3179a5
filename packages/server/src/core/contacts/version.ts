import { createHash } from "node:crypto";
import { PreconditionFailedError } from "../errors.js";
import type { Contact } from "./contact.js";

/**
 * A digest of everything a contact's representation shows (fields, labels, times), so any change
 * gives a new version and an unchanged contact keeps its own. Faces send it as the ETag.
 */
export function contactVersion(contact: Contact): string {
  const { contactInboxes: _inboxes, ...shown } = contact;
  return createHash("sha256").update(JSON.stringify(shown)).digest("base64url").slice(0, 27);
}

/**
 * The versions a conditional write may apply to (the caller's If-Match); undefined for an
 * unconditional write.
 */
export type ExpectedVersions = readonly string[] | undefined;

/** Throws unless the locked contact is at one of the expected versions. */
export function requireVersion(contact: Contact, expected: ExpectedVersions): void {
  if (expected === undefined || expected.includes(contactVersion(contact))) return;
  throw new PreconditionFailedError(
    `Contact ${contact.id} changed since the version given in If-Match: read it again and retry`,
  );
}
