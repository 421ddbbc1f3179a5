import { findUser } from "../../store/accounts.js";
import type { Queryable } from "../../store/database.js";
import type { FieldErrors } from "../errors.js";
import { STATUSES, type Status } from "./conversation.js";

export function checkStatus(status: string | undefined, errors: FieldErrors): Status | undefined {
  if (status === undefined) return undefined;
  if (!STATUSES.includes(status as Status))
    errors.add("status", "invalid_value", `must be one of ${STATUSES.join(", ")}`);
  return status as Status;
}

/** An assignee must be a user of the same account. */
export async function checkAssignee(
  db: Queryable,
  accountId: number,
  assigneeId: number | null | undefined,
  errors: FieldErrors,
): Promise<void> {
  if (assigneeId === undefined || assigneeId === null) return;
  if (!(await findUser(db, accountId, assigneeId)))
    errors.add("assignee_id", "unknown_user", "is not a user of this account");
}

export function checkSnoozedUntil(value: string | null | undefined, errors: FieldErrors): Date | null | undefined {
  if (value === undefined || value === null) return value;
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime())) errors.add("snoozed_until", "invalid_date", "must be an ISO 8601 date-time");
  // Outside years 1 to 9999 the databases disagree (PGlite refuses year 0); no snooze needs them.
  else if (year < 1 || year > 9999) errors.add("snoozed_until", "invalid_date", "must be between years 1 and 9999");
  return date;
}
