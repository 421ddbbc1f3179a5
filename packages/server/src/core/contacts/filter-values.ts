import { FilterError } from "./filter-error.js";
import type { FilterOperator, ValueKind } from "./filter-keys.js";
import type { FilterTest } from "./filter-plan.js";

/** Reading a condition's values: each must make sense for its key, else the whole filter is refused. */

const MAX_VALUES = 100;
const MAX_TEXT = 1000;
/** days_before reaches back at most this far (about 1,300 years), so the date stays a four-digit year. */
const MAX_DAYS = 500_000;
const DAY_MS = 86_400_000;

export function testFor(
  key: string,
  operator: FilterOperator,
  kind: ValueKind,
  values: readonly unknown[],
  today: Date,
): FilterTest {
  if (values.length > MAX_VALUES) throw FilterError.value(key);
  const each = (read: (value: unknown) => string | null): string[] =>
    values.map((value) => {
      const parsed = read(value);
      if (parsed === null) throw FilterError.value(key);
      return parsed;
    });
  const first = (read: (value: unknown) => string | null): string => each(read)[0] as string;
  switch (operator) {
    case "is_present":
    case "is_not_present":
      return { test: "present" };
    case "equal_to":
    case "not_equal_to":
      return { test: "equals", values: each((value) => exactValue(kind, value)) };
    case "starts_with":
      return { test: "starts_with", values: each((value) => exactValue(kind, value)) };
    case "contains":
    case "does_not_contain":
      return { test: "contains", values: each((value) => scalarText(value)?.trim() ?? null) };
    case "is_greater_than":
      return { test: "greater_than", value: first((value) => orderedValue(kind, value)) };
    case "is_less_than":
      return { test: "less_than", value: first((value) => orderedValue(kind, value)) };
    case "days_before":
      // Chatwoot's rule: before the date N days ago, that day excluded.
      return { test: "less_than", value: first((value) => daysAgo(value, today)) };
  }
}

function exactValue(kind: ValueKind, value: unknown): string | null {
  switch (kind) {
    case "text":
    case "label":
      return scalarText(value)?.trim().toLowerCase() ?? null;
    case "phone": {
      // Stored as E.164: compare "+digits" whatever punctuation the value came with.
      const text = scalarText(value);
      return text === null ? null : `+${text.replace(/\D/g, "")}`;
    }
    case "number":
      return numberValue(value);
    case "date":
      return dateValue(value);
    case "boolean":
      return booleanValue(value);
  }
}

function orderedValue(kind: ValueKind, value: unknown): string | null {
  if (kind === "number") return numberValue(value);
  if (kind === "date") return dateValue(value);
  return null;
}

function scalarText(value: unknown): string | null {
  if (typeof value === "string") return value.length <= MAX_TEXT && !value.includes("\u0000") ? value : null;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "boolean") return String(value);
  return null;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?$/;

function numberValue(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text.length <= 100 && NUMBER.test(text) ? text : null;
}

/** A calendar date as YYYY-MM-DD, from a date or the date part of an ISO 8601 time. */
function dateValue(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value.trim());
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // PostgreSQL has no year 0.
  const real =
    year > 0 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? isoDate(date) : null;
}

const TRUE = new Set(["true", "t", "1", "yes"]);
const FALSE = new Set(["false", "f", "0", "no"]);

function booleanValue(value: unknown): string | null {
  if (typeof value === "boolean") return String(value);
  const text = scalarText(value)?.trim().toLowerCase();
  if (text === undefined) return null;
  if (TRUE.has(text)) return "true";
  if (FALSE.has(text)) return "false";
  return null;
}

function daysAgo(value: unknown, today: Date): string | null {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!/^\d{1,6}$/.test(text) || Number(text) > MAX_DAYS) return null;
  return isoDate(new Date(today.getTime() - Number(text) * DAY_MS));
}

function isoDate(date: Date): string {
  const year = String(date.getUTCFullYear()).padStart(4, "0");
  const month = String(date.getUTCMonth() + 1).padStart(2, "0");
  const day = String(date.getUTCDate()).padStart(2, "0");
  return `${year}-${month}-${day}`;
}
