import type { Attributes, ContactInput, Direction, SortKey } from "../../core/contacts/contact.js";
import { SORT_KEYS } from "../../core/contacts/contact.js";
import { NotFoundError, ValidationError } from "../../core/errors.js";

/** Reading Chatwoot's parameters the way Rails reads them. */

/** Chatwoot's fixed page size. */
export const PER_PAGE = 15;
/** Pages past this are empty anyway; the bound keeps the offset a sane number. */
const MAX_PAGE = 10_000_000;

/** `page` as Ruby's to_i reads it: "2" → 2, "2x" → 2; nothing, 0 (n8n's default) or junk → 1. */
export function pageNumber(raw: string | undefined): number {
  const page = Number.parseInt(raw ?? "", 10);
  if (!Number.isFinite(page) || page < 1) return 1;
  return Math.min(page, MAX_PAGE);
}

/** Paging for a core list call. */
export function pageOf(raw: string | undefined): { limit: number; skip: number } {
  return { limit: PER_PAGE, skip: (pageNumber(raw) - 1) * PER_PAGE };
}

/** `meta.current_page`: Chatwoot echoes the parameter as sent (a string), or the integer 1. */
export function currentPage(raw: string | undefined): string | number {
  return raw ?? 1;
}

/** `sort=-last_activity_at` or `sort=name,email`: the first known key wins, unknown keys are ignored. */
export function sortOf(raw: string | undefined): { sort?: SortKey; direction?: Direction } {
  for (const item of (raw ?? "").split(",")) {
    const text = item.trim();
    const descending = text.startsWith("-");
    const key = descending ? text.slice(1) : text;
    if ((SORT_KEYS as readonly string[]).includes(key)) {
      return { sort: key as SortKey, direction: descending ? "desc" : "asc" };
    }
  }
  return {};
}

/** `include_contact_inboxes`: true unless sent as anything but "true". */
export function includeInboxes(raw: string | undefined): boolean {
  return raw === undefined || raw === "true";
}

/** `labels[]=a&labels=b,c` → [a, b, c]; nothing → undefined (no label filter). */
export function labelsOf(...lists: Array<string[] | undefined>): string[] | undefined {
  const labels = lists
    .flat()
    .flatMap((value) => (value ?? "").split(","))
    .map((value) => value.trim())
    .filter(Boolean);
  return labels.length > 0 ? labels : undefined;
}

/** A path id: anything but a positive integer names no record. */
export function pathId(text: string, resource: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new NotFoundError(resource);
  return Number(text);
}

/** An id in a body, as an integer or a numeric string; "" and null are "none given". */
export function bodyId(value: string | number | null | undefined, resource: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "number" ? pathId(String(value), resource) : pathId(value.trim(), resource);
}

type Text = string | number | null | undefined;

/** A source id as sent (a number is taken as its digits); none or null lets the core derive one. */
export function sourceIdOf(value: Text): string | null {
  return value === undefined || value === null ? null : String(value);
}

/** Strings as sent; numbers as Rails would cast them for a string column. */
function text(value: Text): string | null | undefined {
  return typeof value === "number" ? String(value) : value;
}

/** Rails' boolean cast of a parameter: true/false, "true"/"false", "1"/"0", 1/0. */
function booleanOf(value: boolean | string | number | null | undefined): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  const word = String(value).trim().toLowerCase();
  if (["true", "t", "1", "yes", "on"].includes(word)) return true;
  if (["false", "f", "0", "no", "off"].includes(word)) return false;
  throw new ValidationError([{ field: "blocked", code: "invalid_type", message: "must be true or false" }]);
}

export interface ContactBody {
  name?: Text;
  email?: Text;
  phone_number?: Text;
  identifier?: Text;
  avatar_url?: Text;
  blocked?: boolean | string | number | null;
  additional_attributes?: object | null;
  custom_attributes?: object | null;
}

/**
 * Contact fields from a create or update body. Empty strings (n8n sends one for every field left
 * blank) reach the core, which reads them as "no value": nothing on create, a cleared field on
 * update. A null attribute hash is left alone, as Chatwoot does; `avatar` (a file upload) is ignored.
 */
export function contactInputOf(body: ContactBody): ContactInput {
  return {
    name: text(body.name),
    email: text(body.email),
    phoneNumber: text(body.phone_number),
    identifier: text(body.identifier),
    avatarUrl: text(body.avatar_url),
    blocked: booleanOf(body.blocked),
    additionalAttributes: (body.additional_attributes ?? undefined) as Attributes | undefined,
    customAttributes: (body.custom_attributes ?? undefined) as Attributes | undefined,
  };
}
