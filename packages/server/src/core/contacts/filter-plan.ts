import type { FilterSubject } from "./filter-keys.js";

/**
 * A validated contact filter, ready for the store to turn into SQL: every value is parsed and
 * normalised here, so the store only has to compare.
 */
export interface FilterPlan {
  clauses: FilterClause[];
  /** How each clause joins the next: clauses.length - 1 of them, applied with SQL's precedence. */
  joins: Array<"AND" | "OR">;
}

export interface FilterClause {
  subject: FilterSubject;
  test: FilterTest;
  /** not_equal_to, does_not_contain, is_not_present: true for contacts without a value too. */
  negated: boolean;
}

/**
 * Values are text in the subject's terms: lower-cased for text, "+digits" for phones,
 * YYYY-MM-DD for dates, a decimal for numbers, "true"/"false" for booleans.
 */
export type FilterTest =
  | { test: "equals"; values: string[] }
  | { test: "contains"; values: string[] }
  | { test: "starts_with"; values: string[] }
  | { test: "present" }
  | { test: "greater_than"; value: string }
  | { test: "less_than"; value: string };
