/** What a contact filter may test and how: the keys, their operators and their value kinds. */

export const FILTER_OPERATORS = [
  "equal_to",
  "not_equal_to",
  "contains",
  "does_not_contain",
  "starts_with",
  "is_present",
  "is_not_present",
  "is_greater_than",
  "is_less_than",
  "days_before",
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** The type a custom attribute is compared as, from its definition's display type. */
export type CustomType = "text" | "number" | "date" | "boolean";

/** Where a condition's value lives. */
export type FilterSubject =
  | { kind: "column"; column: "name" | "email" | "phone_e164" | "identifier" }
  /** Keys of additional_attributes; the condition holds when it holds for any of them. */
  | { kind: "additional"; keys: string[] }
  | { kind: "custom"; key: string; type: CustomType }
  | { kind: "timestamp"; column: "created_at" | "last_activity_at" }
  | { kind: "blocked" }
  | { kind: "labels" };

/** How a condition's values are read: each kind has its own parser (filter-values.ts). */
export type ValueKind = "text" | "phone" | "date" | "number" | "boolean" | "label";

export interface FilterKey {
  subject: FilterSubject;
  operators: readonly FilterOperator[];
  values: ValueKind;
}

const TEXT: readonly FilterOperator[] = ["equal_to", "not_equal_to", "contains", "does_not_contain"];
const EXACT: readonly FilterOperator[] = ["equal_to", "not_equal_to"];
const DATE: readonly FilterOperator[] = ["is_greater_than", "is_less_than", "days_before"];

/** Chatwoot's standard contact filter keys, in the order its error messages list them. */
export const STANDARD_KEYS: Readonly<Record<string, FilterKey>> = {
  name: { subject: { kind: "column", column: "name" }, operators: TEXT, values: "text" },
  email: { subject: { kind: "column", column: "email" }, operators: TEXT, values: "text" },
  phone_number: {
    subject: { kind: "column", column: "phone_e164" },
    operators: [...TEXT, "starts_with"],
    values: "phone",
  },
  identifier: { subject: { kind: "column", column: "identifier" }, operators: EXACT, values: "text" },
  country_code: { subject: { kind: "additional", keys: ["country_code"] }, operators: EXACT, values: "text" },
  city: { subject: { kind: "additional", keys: ["city"] }, operators: TEXT, values: "text" },
  // The dashboard writes company_name and CSV imports write company: either one matches.
  company: { subject: { kind: "additional", keys: ["company_name", "company"] }, operators: TEXT, values: "text" },
  labels: {
    subject: { kind: "labels" },
    operators: ["equal_to", "not_equal_to", "is_present", "is_not_present"],
    values: "label",
  },
  created_at: { subject: { kind: "timestamp", column: "created_at" }, operators: DATE, values: "date" },
  last_activity_at: { subject: { kind: "timestamp", column: "last_activity_at" }, operators: DATE, values: "date" },
  blocked: { subject: { kind: "blocked" }, operators: EXACT, values: "boolean" },
};

export const STANDARD_KEY_NAMES = Object.keys(STANDARD_KEYS);

/**
 * Operators per custom attribute type: only those whose comparison means something for the type
 * (a substring of a number, or an order of checkboxes, would not).
 */
const PRESENCE: readonly FilterOperator[] = ["is_present", "is_not_present"];
export const CUSTOM_OPERATORS: Readonly<Record<CustomType, readonly FilterOperator[]>> = {
  text: [...TEXT, ...PRESENCE],
  number: [...EXACT, ...PRESENCE, "is_greater_than", "is_less_than"],
  date: [...EXACT, ...PRESENCE, ...DATE],
  boolean: EXACT,
};

const CUSTOM_VALUES: Readonly<Record<CustomType, ValueKind>> = {
  text: "text",
  number: "number",
  date: "date",
  boolean: "boolean",
};

/** How each display type of a custom attribute definition is compared. */
const DISPLAY_TYPES: Readonly<Record<string, CustomType>> = {
  text: "text",
  link: "text",
  list: "text",
  number: "number",
  currency: "number",
  percent: "number",
  date: "date",
  checkbox: "boolean",
};

/**
 * Names Chatwoot reserves for its own contact fields, so no custom attribute can take them;
 * those that are not standard filter keys (referer) are refused rather than compared.
 */
const RESERVED = new Set([
  "name",
  "email",
  "phone_number",
  "identifier",
  "country_code",
  "city",
  "created_at",
  "last_activity_at",
  "referer",
  "blocked",
]);

/** Longest key a contact's custom_attributes can hold (core/contacts/normalize.ts). */
const MAX_KEY = 255;

/** Whether a key could name a custom attribute at all: anything else can never match. */
export function isPossibleCustomKey(key: string): boolean {
  return key.trim() !== "" && key.length <= MAX_KEY && !key.includes("\u0000") && !RESERVED.has(key);
}

/**
 * A custom attribute key as a filter key: typed by its definition, or compared as text when
 * the account has not defined it (contacts hold attributes nobody defined).
 */
export function customKey(key: string, displayType: string | undefined): FilterKey {
  const type = (displayType && DISPLAY_TYPES[displayType]) || "text";
  return { subject: { kind: "custom", key, type }, operators: CUSTOM_OPERATORS[type], values: CUSTOM_VALUES[type] };
}
