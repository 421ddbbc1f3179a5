import { hash } from "node:crypto";
import { PreconditionFailedError } from "../errors.js";
import type { Contact } from "./contact.js";

/** Every field of a contact's representation; the compiler makes a new field of Contact join it. */
type Shown = { [Field in keyof Omit<Contact, "contactInboxes">]-?: unknown };

/**
 * A digest of everything a contact's representation shows (fields, labels, times), so any change
 * gives a new version and an unchanged contact keeps its own. Faces send it as the ETag.
 *
 * Read on every GET, so it is kept cheap: times as numbers (each Date's toJSON cost more than the
 * digest), one object of the same shape every time, and a one-shot digest.
 */
export function contactVersion(contact: Contact): string {
  const shown: Shown = {
    accountId: contact.accountId,
    id: contact.id,
    name: contact.name,
    email: contact.email,
    phoneNumber: contact.phoneNumber,
    phoneRaw: contact.phoneRaw,
    identifier: contact.identifier,
    avatarUrl: contact.avatarUrl,
    additionalAttributes: contact.additionalAttributes,
    customAttributes: contact.customAttributes,
    blocked: contact.blocked,
    labels: contact.labels,
    lastActivityAt: contact.lastActivityAt?.getTime() ?? null,
    createdAt: contact.createdAt.getTime(),
    updatedAt: contact.updatedAt.getTime(),
  };
  return hash("sha256", JSON.stringify(shown), "base64url").slice(0, 27);
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
