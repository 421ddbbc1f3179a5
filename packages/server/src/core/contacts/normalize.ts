import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";
import type { FieldErrors } from "../errors.js";
import { setOwn } from "../own.js";
import type { Attributes } from "./contact.js";

const MAX_NAME = 255;
const MAX_EMAIL = 320;
const MAX_IDENTIFIER = 255;
const MAX_URL = 2048;
const MAX_ATTRIBUTES_BYTES = 65_536;
const MAX_ATTRIBUTES_DEPTH = 8;
// Characters PostgreSQL text cannot hold (NUL) and other C0 controls but tab and newlines.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Blank strings mean "no value", as the compatibility clients send them. */
function blankToNull(value: string | null | undefined): string | null | undefined {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export function normalizeName(value: string | null, errors: FieldErrors, field = "name"): string {
  const name = blankToNull(value) ?? "";
  if (CONTROL.test(name)) errors.add(field, "invalid_characters", "must not contain control characters");
  else if ([...name].length > MAX_NAME) errors.add(field, "too_long", `must be at most ${MAX_NAME} characters`);
  return name;
}

export function normalizeEmail(value: string | null, errors: FieldErrors, field = "email"): string | null {
  const email = blankToNull(value)?.toLowerCase() ?? null;
  if (email === null) return null;
  if (email.length > MAX_EMAIL) errors.add(field, "too_long", `must be at most ${MAX_EMAIL} characters`);
  else if (!EMAIL.test(email) || CONTROL.test(email))
    errors.add(field, "invalid_email", "is not a valid email address");
  return email;
}

export interface NormalizedPhone {
  e164: string | null;
  raw: string | null;
}

export function normalizePhone(
  value: string | null,
  defaultCountry: string | undefined,
  errors: FieldErrors,
  field = "phone_number",
): NormalizedPhone {
  const raw = blankToNull(value) ?? null;
  if (raw === null) return { e164: null, raw: null };
  if (raw.length > 64 || CONTROL.test(raw)) {
    errors.add(field, "invalid_phone_number", "is not a valid phone number");
    return { e164: null, raw };
  }
  const international = raw.startsWith("+") || raw.startsWith("00");
  if (!international && defaultCountry === undefined) {
    errors.add(field, "missing_country_code", "needs a country code such as +1 (no default country is configured)");
    return { e164: null, raw };
  }
  const parsed = parsePhoneNumberFromString(raw, {
    defaultCountry: defaultCountry as CountryCode | undefined,
    extract: false,
  });
  if (!parsed?.isPossible()) {
    errors.add(field, "invalid_phone_number", "is not a valid phone number");
    return { e164: null, raw };
  }
  return { e164: parsed.number, raw };
}

/** The digits of a phone-like search or lookup term, or null when it is not phone-like. */
export function phoneDigits(term: string): string | null {
  if (!/^[\d\s()+.\-/]+$/.test(term)) return null;
  const digits = term.replace(/\D/g, "");
  return digits.length > 0 ? digits : null;
}

export function normalizeIdentifier(value: string | null, errors: FieldErrors, field = "identifier"): string | null {
  const identifier = blankToNull(value) ?? null;
  if (identifier === null) return null;
  if (CONTROL.test(identifier)) errors.add(field, "invalid_characters", "must not contain control characters");
  else if (identifier.length > MAX_IDENTIFIER)
    errors.add(field, "too_long", `must be at most ${MAX_IDENTIFIER} characters`);
  return identifier;
}

export function normalizeUrl(value: string | null, errors: FieldErrors, field = "avatar_url"): string | null {
  const url = blankToNull(value) ?? null;
  if (url === null) return null;
  if (url.length > MAX_URL) errors.add(field, "too_long", `must be at most ${MAX_URL} characters`);
  else if (!/^https?:\/\/[^\s]+$/i.test(url) || CONTROL.test(url))
    errors.add(field, "invalid_url", "must be an http(s) URL");
  return url;
}

/** Checks what PostgreSQL jsonb would refuse (NUL in strings) and bounds size and depth. */
export function checkAttributes(value: Attributes, errors: FieldErrors, field: string): void {
  const problem = attributeProblem(value, 0);
  if (problem) {
    errors.add(field, "invalid_attributes", problem);
    return;
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_ATTRIBUTES_BYTES) {
    errors.add(field, "too_large", `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON`);
  }
}

function attributeProblem(value: unknown, depth: number): string | null {
  if (depth > MAX_ATTRIBUTES_DEPTH) return `must not nest deeper than ${MAX_ATTRIBUTES_DEPTH} levels`;
  if (typeof value === "string") return value.includes("\u0000") ? "must not contain NUL characters" : null;
  if (typeof value === "number") return Number.isFinite(value) ? null : "numbers must be finite";
  if (value === null || typeof value === "boolean") return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = attributeProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes("\u0000")) return "keys must not contain NUL characters";
      if (key.length > 255) return "keys must be at most 255 characters";
      const problem = attributeProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  return "must hold only JSON values";
}

/** Shallow merge: keys in `patch` replace those in `base`; a key set to null is removed. */
export function mergeAttributes(base: Attributes, patch: Attributes): Attributes {
  const merged: Attributes = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else setOwn(merged, key, value);
  }
  return merged;
}

/** Without null values: what a new record stores for a given hash. */
export function withoutNulls(attributes: Attributes): Attributes {
  return mergeAttributes({}, attributes);
}
