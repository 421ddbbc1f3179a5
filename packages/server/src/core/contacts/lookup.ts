import { findContactBy } from "../../store/contacts.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import type { Contact } from "./contact.js";
import { normalizeEmail, normalizeIdentifier, normalizePhone } from "./normalize.js";

export interface LookupInput {
  email?: string;
  phoneNumber?: string;
  identifier?: string;
}

/** Exact match on one unique field, normalised the way writes are. */
export async function lookupContact(deps: CoreDeps, actor: Actor, input: LookupInput): Promise<Contact> {
  const given = Object.entries(input).filter(([, value]) => value !== undefined);
  const errors = new FieldErrors();
  if (given.length !== 1) {
    errors.add("query", "one_field_required", "give exactly one of email, phone_number or identifier");
    errors.throwIfAny();
  }
  let contact: Contact | null = null;
  if (input.email !== undefined) {
    const email = normalizeEmail(input.email, errors);
    errors.throwIfAny();
    if (email) contact = await findContactBy(deps.db, actor.accountId, "email", email);
  } else if (input.phoneNumber !== undefined) {
    const phone = normalizePhone(input.phoneNumber, deps.settings.defaultCountry, errors);
    errors.throwIfAny();
    if (phone.e164) contact = await findContactBy(deps.db, actor.accountId, "phone_e164", phone.e164);
  } else if (input.identifier !== undefined) {
    const identifier = normalizeIdentifier(input.identifier, errors);
    errors.throwIfAny();
    if (identifier) contact = await findContactBy(deps.db, actor.accountId, "identifier", identifier);
  }
  if (!contact) throw new NotFoundError("contact");
  return contact;
}
