import type { CoreSettings } from "../deps.js";
import { FieldErrors } from "../errors.js";
import { normalizeLabels } from "../labels/normalize.js";
import type { Attributes, Contact, ContactColumns, ContactInput } from "./contact.js";
import {
  checkAttributes,
  mergeAttributes,
  normalizeEmail,
  normalizeIdentifier,
  normalizeName,
  normalizePhone,
  normalizeUrl,
  withoutNulls,
} from "./normalize.js";

/** A validated, normalised write: undefined means "not given". */
export interface ContactPatch {
  name?: string;
  email?: string | null;
  phone?: { e164: string | null; raw: string | null };
  identifier?: string | null;
  avatarUrl?: string | null;
  additionalAttributes?: Attributes | null;
  customAttributes?: Attributes | null;
  blocked?: boolean;
  labels?: string[];
}

/** Validates every given field at once; throws a ValidationError naming each bad one. */
export function prepareContactPatch(input: ContactInput, settings: CoreSettings): ContactPatch {
  const errors = new FieldErrors();
  const patch: ContactPatch = {};
  if (input.name !== undefined) patch.name = normalizeName(input.name, errors);
  if (input.email !== undefined) patch.email = normalizeEmail(input.email, errors);
  if (input.phoneNumber !== undefined) patch.phone = normalizePhone(input.phoneNumber, settings.defaultCountry, errors);
  if (input.identifier !== undefined) patch.identifier = normalizeIdentifier(input.identifier, errors);
  if (input.avatarUrl !== undefined) patch.avatarUrl = normalizeUrl(input.avatarUrl, errors);
  if (input.additionalAttributes !== undefined) {
    patch.additionalAttributes = input.additionalAttributes;
    if (input.additionalAttributes) checkAttributes(input.additionalAttributes, errors, "additional_attributes");
  }
  if (input.customAttributes !== undefined) {
    patch.customAttributes = input.customAttributes;
    if (input.customAttributes) checkAttributes(input.customAttributes, errors, "custom_attributes");
  }
  if (input.blocked !== undefined) patch.blocked = input.blocked;
  if (input.labels !== undefined) patch.labels = normalizeLabels(input.labels, errors);
  errors.throwIfAny();
  return patch;
}

export function columnsForNewContact(patch: ContactPatch): ContactColumns {
  return {
    name: patch.name ?? "",
    email: patch.email ?? null,
    phoneE164: patch.phone?.e164 ?? null,
    phoneRaw: patch.phone?.raw ?? null,
    identifier: patch.identifier ?? null,
    avatarUrl: patch.avatarUrl ?? null,
    additionalAttributes: withoutNulls(patch.additionalAttributes ?? {}),
    customAttributes: withoutNulls(patch.customAttributes ?? {}),
    blocked: patch.blocked ?? false,
  };
}

/** The stored columns of an existing contact. */
export function columnsOf(contact: Contact): ContactColumns {
  return {
    name: contact.name,
    email: contact.email,
    phoneE164: contact.phoneNumber,
    phoneRaw: contact.phoneRaw,
    identifier: contact.identifier,
    avatarUrl: contact.avatarUrl,
    additionalAttributes: contact.additionalAttributes,
    customAttributes: contact.customAttributes,
    blocked: contact.blocked,
  };
}

export function columnsForUpdatedContact(current: Contact, patch: ContactPatch): ContactColumns {
  const columns: ContactColumns = {
    name: patch.name ?? current.name,
    email: patch.email === undefined ? current.email : patch.email,
    phoneE164: patch.phone === undefined ? current.phoneNumber : patch.phone.e164,
    phoneRaw: patch.phone === undefined ? current.phoneRaw : patch.phone.raw,
    identifier: patch.identifier === undefined ? current.identifier : patch.identifier,
    avatarUrl: patch.avatarUrl === undefined ? current.avatarUrl : patch.avatarUrl,
    additionalAttributes: mergedHash(current.additionalAttributes, patch.additionalAttributes),
    customAttributes: mergedHash(current.customAttributes, patch.customAttributes),
    blocked: patch.blocked ?? current.blocked,
  };
  const errors = new FieldErrors();
  checkAttributes(columns.additionalAttributes, errors, "additional_attributes");
  checkAttributes(columns.customAttributes, errors, "custom_attributes");
  errors.throwIfAny();
  return columns;
}

/** null clears the whole hash; an object is shallow-merged. */
function mergedHash(current: Attributes, patch: Attributes | null | undefined): Attributes {
  if (patch === undefined) return current;
  if (patch === null) return {};
  return mergeAttributes(current, patch);
}
