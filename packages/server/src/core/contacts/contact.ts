import type { ContactInbox } from "../inboxes/contact-inbox.js";

/** A person the account talks to, as the core sees it. */
export interface Contact {
  accountId: number;
  id: number;
  name: string;
  email: string | null;
  /** E.164, e.g. +14155550123. */
  phoneNumber: string | null;
  /** The phone number exactly as it was given. */
  phoneRaw: string | null;
  identifier: string | null;
  avatarUrl: string | null;
  additionalAttributes: Attributes;
  customAttributes: Attributes;
  blocked: boolean;
  labels: string[];
  lastActivityAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** The stored row's revision, which every write to the row changes. Not shown; the version is made of it. */
  revision: string;
  /** The contact's identities in inboxes, when asked for. */
  contactInboxes?: ContactInbox[];
}

export type Attributes = Record<string, unknown>;

/**
 * Fields a caller may write. On create, a missing field is empty. On update, a missing field is
 * kept, null clears it, attribute hashes are shallow-merged and a key set to null is removed.
 */
export interface ContactInput {
  name?: string | null;
  email?: string | null;
  phoneNumber?: string | null;
  identifier?: string | null;
  avatarUrl?: string | null;
  additionalAttributes?: Attributes | null;
  customAttributes?: Attributes | null;
  blocked?: boolean;
  labels?: string[];
}

/** The stored columns a write produces after normalisation. */
export interface ContactColumns {
  name: string;
  email: string | null;
  phoneE164: string | null;
  phoneRaw: string | null;
  identifier: string | null;
  avatarUrl: string | null;
  additionalAttributes: Attributes;
  customAttributes: Attributes;
  blocked: boolean;
}

export const SORT_KEYS = [
  "name",
  "email",
  "phone_number",
  "last_activity_at",
  "created_at",
  "company",
  "city",
  "country",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type Direction = "asc" | "desc";

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;
