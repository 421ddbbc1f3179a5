import { DomainError } from "../errors.js";

/**
 * A contact filter that cannot run. The messages are Chatwoot's own texts, word for word, because
 * Chatwoot clients show them to their users as they are.
 */
export class FilterError extends DomainError {
  readonly kind = "validation";

  static operator(key: string, allowed: readonly string[]): FilterError {
    return new FilterError(
      "invalid_filter_operator",
      `Invalid operator. The allowed operators for ${key} are [${allowed.join(",")}].`,
    );
  }

  static value(key: string): FilterError {
    return new FilterError("invalid_filter_value", `Invalid value. The values provided for ${key} are invalid`);
  }

  static attribute(key: string, standardKeys: readonly string[]): FilterError {
    return new FilterError(
      "invalid_filter_attribute",
      `Invalid attribute key - [${key}]. The key should be one of [${standardKeys.join(",")}] or a custom attribute defined in the account.`,
    );
  }

  static queryOperator(): FilterError {
    return new FilterError("invalid_query_operator", 'Query operator must be either "AND" or "OR".');
  }
}
