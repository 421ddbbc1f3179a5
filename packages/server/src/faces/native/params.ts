import type { Static } from "typebox";
import type { ContactInput } from "../../core/contacts/contact.js";
import { NotFoundError } from "../../core/errors.js";
import type { ContactWrite } from "./schemas.js";

/** A path id: anything that is not a positive integer names no record. */
export function parseId(text: string, resource: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new NotFoundError(resource);
  return Number(text);
}

/** An id from a request body or query: the API's string form or a number. */
export function idValue(value: string | number, resource: string): number {
  return typeof value === "number" ? value : parseId(value, resource);
}

/** Repeated and comma-separated values alike: labels=a&labels=b,c → [a, b, c]. */
export function splitList(values: string[] | undefined): string[] | undefined {
  return values
    ?.flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
}

export function contactInputFrom(body: Static<typeof ContactWrite>): ContactInput {
  return {
    name: body.name !== undefined ? body.name : body.display_name,
    email: body.email,
    phoneNumber: body.phone_number !== undefined ? body.phone_number : body.phone,
    identifier: body.identifier,
    avatarUrl: body.avatar_url,
    additionalAttributes: body.additional_attributes,
    customAttributes: body.custom_attributes,
    blocked: body.blocked,
    labels: body.labels,
  };
}
