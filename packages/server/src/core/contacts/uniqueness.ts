import { findContactIdBy, uniqueFieldOf } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { isPgError, PG_UNIQUE_VIOLATION } from "../../store/database.js";
import { ConflictError } from "../errors.js";

const WIRE_FIELD = { email: "email", phone_e164: "phone_number", identifier: "identifier" } as const;

/** The unique values a write sets; a value the write leaves alone cannot clash. */
export interface UniqueValues {
  email?: string | null;
  phoneE164?: string | null;
  identifier?: string | null;
}

/**
 * Runs a contact write (a whole transaction, so the lookup below runs after its rollback); a clash on email, phone or identifier becomes a ConflictError that
 * names the field and the contact already holding the value. The unique indexes decide, so
 * concurrent writers of the same person cannot both win.
 */
export async function withContactUniqueness<T>(
  db: Queryable,
  accountId: number,
  values: UniqueValues,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isPgError(error, PG_UNIQUE_VIOLATION)) throw error;
    const field = uniqueFieldOf(error.constraint);
    if (field === null) throw error;
    const value = field === "email" ? values.email : field === "phone_e164" ? values.phoneE164 : values.identifier;
    const existingId = value == null ? null : await findContactIdBy(db, accountId, field, value);
    const wire = WIRE_FIELD[field];
    throw new ConflictError(
      `${wire}_taken`,
      `Another contact already has this ${wire.replace("_", " ")}`,
      wire,
      existingId ?? undefined,
    );
  }
}
