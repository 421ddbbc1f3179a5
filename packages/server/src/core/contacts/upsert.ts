import { type ContactMatch, lockContactsMatching, type MatchKeys } from "../../store/contact-matches.js";
import { findContact, uniqueFieldOf } from "../../store/contacts.js";
import { isPgError, PG_UNIQUE_VIOLATION, type Queryable } from "../../store/database.js";
import type { Actor } from "../actor.js";
import { avatarBlobKey } from "../avatars/avatar.js";
import type { CoreDeps } from "../deps.js";
import { ConflictError, type FieldError, FieldErrors } from "../errors.js";
import { deleteBlobs } from "../files/blobs.js";
import type { Contact, ContactInput } from "./contact.js";
import { insertNewContact } from "./create.js";
import { type ContactPatch, prepareContactPatch } from "./prepare.js";
import { withContactUniqueness } from "./uniqueness.js";
import { applyContactPatch } from "./update.js";

/**
 * Tries before a lost race ends as a 409. Each lost race means another writer committed the same
 * person meanwhile, so the next try finds and updates that contact; running out takes sustained
 * concurrent changes to the same keys.
 */
const MAX_ATTEMPTS = 5;
const PG_DEADLOCK_DETECTED = "40P01";

export interface UpsertResult {
  contact: Contact;
  created: boolean;
}

/** Match keys in precedence order, with their wire names. */
const KEYS = [
  { field: "identifier", matched: (m: ContactMatch) => m.byIdentifier },
  { field: "email", matched: (m: ContactMatch) => m.byEmail },
  { field: "phone_number", matched: (m: ContactMatch) => m.byPhone },
] as const;

/** Several keys matching different contacts: the 409 lists which key matched which contact. */
export class AmbiguousMatchError extends ConflictError {
  constructor(
    readonly fields: FieldError[],
    field: string,
    existingId: number,
    message: string,
  ) {
    super("ambiguous_match", message, field, existingId);
  }
}

/**
 * Updates the contact holding the given identifier, else email, else phone number (normalised as
 * writes are), with PATCH semantics; creates one when none does. The unique indexes settle races:
 * a writer that loses the insert race retries and updates the winner's contact, so concurrent
 * upserts of one person leave exactly one contact.
 */
export async function upsertContact(deps: CoreDeps, actor: Actor, input: ContactInput): Promise<UpsertResult> {
  const patch = prepareContactPatch(input, deps.settings);
  const keys = matchKeysOf(patch);
  const values = { email: patch.email, phoneE164: patch.phone?.e164, identifier: patch.identifier };
  const write = () => deps.db.transaction((tx) => upsertInTransaction(tx, actor, keys, patch));
  let outcome: Awaited<ReturnType<typeof write>> | undefined;
  for (let attempt = 1; outcome === undefined; attempt++) {
    if (attempt === MAX_ATTEMPTS) {
      outcome = await withContactUniqueness(deps.db, actor.accountId, values, write);
    } else {
      try {
        outcome = await write();
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
    }
  }
  if (outcome.releasedAvatar) await deleteBlobs(deps.blobs, [avatarBlobKey(outcome.releasedAvatar)]);
  return { contact: outcome.contact, created: outcome.created };
}

function matchKeysOf(patch: ContactPatch): MatchKeys {
  const keys: MatchKeys = {};
  if (patch.identifier) keys.identifier = patch.identifier;
  if (patch.email) keys.email = patch.email;
  if (patch.phone?.e164) keys.phoneE164 = patch.phone.e164;
  if (Object.keys(keys).length === 0) {
    // Nothing to match on would create a new contact on every retry of the same call.
    const errors = new FieldErrors();
    errors.add("identifier", "match_key_required", "give an identifier, email or phone_number to match contacts on");
    errors.throwIfAny();
  }
  return keys;
}

async function upsertInTransaction(tx: Queryable, actor: Actor, keys: MatchKeys, patch: ContactPatch) {
  const matches = await lockContactsMatching(tx, actor.accountId, keys);
  const match = chooseMatch(matches, keys);
  if (!match) {
    return { contact: await insertNewContact(tx, actor, patch), created: true, releasedAvatar: null };
  }
  // Locked by the match query, so it is still there.
  const current = (await findContact(tx, actor.accountId, match.id)) as Contact;
  return { ...(await applyContactPatch(tx, actor, current, patch)), created: false };
}

/** The one contact the keys lead to, or null; keys leading to different contacts are a conflict. */
function chooseMatch(matches: ContactMatch[], keys: MatchKeys): ContactMatch | null {
  const [first] = matches;
  if (!first) return null;
  if (matches.length > 1) throw ambiguity(matches);
  // Found by email or phone but known under another external id: rewriting that id would
  // silently turn one person of the caller's system into another.
  if (keys.identifier !== undefined && !first.byIdentifier && first.identifier !== null) {
    const by = first.byEmail ? "email" : "phone_number";
    throw new ConflictError(
      "identifier_mismatch",
      `The ${by.replace("_", " ")} belongs to contact ${first.id}, which has a different identifier`,
      "identifier",
      first.id,
    );
  }
  return first;
}

function ambiguity(matches: ContactMatch[]): AmbiguousMatchError {
  const found = KEYS.flatMap(({ field, matched }) => {
    const match = matches.find(matched);
    return match ? [{ field, id: match.id }] : [];
  });
  const primary = found[0] as { field: string; id: number };
  const other = found.find((entry) => entry.id !== primary.id) as { field: string; id: number };
  const details = found.map(({ field, id }) => ({ field, code: "matches_contact", message: `matches contact ${id}` }));
  return new AmbiguousMatchError(
    details,
    other.field,
    other.id,
    `${primary.field} matches contact ${primary.id} but ${other.field} matches contact ${other.id}; merge them or leave one out`,
  );
}

/** A clash on a contact key or a deadlock: another writer got there first, so trying again decides. */
function lostRace(error: unknown): boolean {
  if (isPgError(error, PG_DEADLOCK_DETECTED)) return true;
  return isPgError(error, PG_UNIQUE_VIOLATION) && uniqueFieldOf(error.constraint) !== null;
}
