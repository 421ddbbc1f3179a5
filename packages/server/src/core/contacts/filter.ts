import { countFilteredContacts, filterContactRows } from "../../store/contact-filter.js";
import { customAttributeDisplayTypes } from "../../store/custom-attribute-definitions.js";
import type { Queryable } from "../../store/database.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors } from "../errors.js";
import type { Contact, Direction, SortKey } from "./contact.js";
import { FilterError } from "./filter-error.js";
import {
  customKey,
  FILTER_OPERATORS,
  type FilterKey,
  type FilterOperator,
  isPossibleCustomKey,
  STANDARD_KEY_NAMES,
  STANDARD_KEYS,
} from "./filter-keys.js";
import type { FilterClause, FilterPlan } from "./filter-plan.js";
import { testFor } from "./filter-values.js";
import { withContactInboxes } from "./get.js";
import { checkLimit, defaultDirection } from "./list.js";

/** One condition as given: a key, an operator, its values, and how it joins the next condition. */
export interface FilterCondition {
  attributeKey: string;
  operator: string;
  values: readonly unknown[];
  /** AND or OR (any case); the last condition's is ignored. */
  queryOperator?: string | null;
}

export interface FilterInput {
  conditions: readonly FilterCondition[];
  limit?: number;
  skip?: number;
  sort?: SortKey;
  direction?: Direction;
  includeContactInboxes?: boolean;
}

export interface FilterPage {
  data: Contact[];
  /** Every contact the filter matches. */
  total: number;
  hasMore: boolean;
}

const MAX_CONDITIONS = 100;
const DEFAULT_SORT: SortKey = "created_at";
const PRESENCE = new Set<string>(["is_present", "is_not_present"]);
const NEGATED = new Set<string>(["not_equal_to", "does_not_contain", "is_not_present"]);

/**
 * Every contact of the account matching the conditions, which join left to right with AND and
 * OR as SQL reads them (AND binds tighter), as Chatwoot's filter does.
 */
export async function filterContacts(deps: CoreDeps, actor: Actor, input: FilterInput): Promise<FilterPage> {
  const limit = checkLimit(input.limit);
  const plan = await planFilter(deps.db, actor.accountId, input.conditions);
  const sort = input.sort ?? DEFAULT_SORT;
  const direction = input.direction ?? defaultDirection(sort);
  const [rows, total] = await Promise.all([
    filterContactRows(deps.db, actor.accountId, { plan, sort, direction, limit: limit + 1, skip: input.skip ?? 0 }),
    countFilteredContacts(deps.db, actor.accountId, plan),
  ]);
  const contacts = rows.slice(0, limit);
  return {
    data: input.includeContactInboxes ? await withContactInboxes(deps.db, actor.accountId, contacts) : contacts,
    total,
    hasMore: rows.length > limit,
  };
}

/** Validates the conditions in order (the first problem is the one reported) and types their values. */
export async function planFilter(
  db: Queryable,
  accountId: number,
  conditions: readonly FilterCondition[],
): Promise<FilterPlan> {
  if (conditions.length > MAX_CONDITIONS) {
    const errors = new FieldErrors();
    errors.add("payload", "too_many", `at most ${MAX_CONDITIONS} conditions`);
    errors.throwIfAny();
  }
  const joins = joinsOf(conditions);
  const customKeys = conditions
    .map((c) => c.attributeKey)
    .filter((key) => !isStandard(key) && isPossibleCustomKey(key));
  const displayTypes = await customAttributeDisplayTypes(db, accountId, [...new Set(customKeys)]);
  const today = new Date();
  const clauses = conditions.map((condition) => clauseOf(condition, displayTypes, today));
  return { clauses, joins };
}

/** Every query operator is checked first; each but the last must be there to join two conditions. */
function joinsOf(conditions: readonly FilterCondition[]): Array<"AND" | "OR"> {
  const operators = conditions.map(({ queryOperator }) => {
    if (queryOperator === undefined || queryOperator === null || queryOperator === "") return null;
    const upper = queryOperator.toUpperCase();
    if (upper !== "AND" && upper !== "OR") throw FilterError.queryOperator();
    return upper;
  });
  return operators.slice(0, -1).map((operator) => {
    if (operator === null) throw FilterError.queryOperator();
    return operator;
  });
}

function clauseOf(condition: FilterCondition, displayTypes: Map<string, string>, today: Date): FilterClause {
  const { attributeKey: key, operator, values } = condition;
  const standard = isStandard(key) ? STANDARD_KEYS[key] : undefined;
  if (standard && !allows(standard, operator)) throw FilterError.operator(key, standard.operators);
  if (!PRESENCE.has(operator) && values.length === 0) throw FilterError.value(key);
  if (!standard && !isPossibleCustomKey(key)) throw FilterError.attribute(key, STANDARD_KEY_NAMES);
  const filterKey = standard ?? customKey(key, displayTypes.get(key));
  if (!allows(filterKey, operator)) throw FilterError.operator(key, filterKey.operators);
  return {
    subject: filterKey.subject,
    test: testFor(key, operator, filterKey.values, values, today),
    negated: NEGATED.has(operator),
  };
}

function allows(key: FilterKey, operator: string): operator is FilterOperator {
  return (
    (FILTER_OPERATORS as readonly string[]).includes(operator) && key.operators.includes(operator as FilterOperator)
  );
}

function isStandard(key: string): boolean {
  return Object.hasOwn(STANDARD_KEYS, key);
}
