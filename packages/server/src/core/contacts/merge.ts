import { clearContactAvatarKey, contactAvatar, deleteAvatarRow, setContactAvatarColumns } from "../../store/avatars.js";
import { deleteContact, findContact, updateContactColumns } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { agentsCanMerge, type MovedCounts, moveLinkedRecords, recordMerge } from "../../store/merges.js";
import { contactChanges } from "../activities/changes.js";
import type { Actor } from "../actor.js";
import { avatarBlobKey } from "../avatars/avatar.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, ForbiddenError, NotFoundError } from "../errors.js";
import { recordChanges, recordHistory } from "../events/record.js";
import { deleteBlobs } from "../files/blobs.js";
import { ownValue, setOwn } from "../own.js";
import type { Attributes, Contact, ContactColumns } from "./contact.js";
import { columnsOf } from "./prepare.js";

export interface MergeInput {
  baseId: number;
  mergeeId: number;
  /** Work out the result and what would move, and change nothing. */
  dryRun?: boolean;
}

export interface MergeResult {
  contact: Contact;
  mergee: Contact;
  moved: MovedCounts;
  dryRun: boolean;
}

/** Thrown inside a dry run's transaction to roll it back once its result is known. */
class DryRunDone extends Error {
  constructor(readonly result: MergeResult) {
    super("dry run");
  }
}

/**
 * Merges the mergee into the base in one transaction: conversations, contact inboxes, comments,
 * files, history, labels and followers move to the base; the base's values win and the mergee
 * fills its blanks (attribute hashes deep-merged); the mergee is deleted and its id answers 410
 * naming the base from then on. A dry run does all of it and rolls back.
 */
export async function mergeContacts(deps: CoreDeps, actor: Actor, input: MergeInput): Promise<MergeResult> {
  if (input.baseId === input.mergeeId) {
    const errors = new FieldErrors();
    errors.add("mergee_contact_id", "same_contact", "a contact cannot be merged with itself");
    errors.throwIfAny();
  }
  let releasedAvatar: string | null = null;
  try {
    const result = await deps.db.transaction(async (tx) => {
      await checkMayMerge(tx, actor);
      const [base, mergee] = await lockBoth(tx, actor.accountId, input.baseId, input.mergeeId);
      await closeMergeeHistory(tx, actor, mergee, base);
      const moved = await moveLinkedRecords(tx, actor.accountId, mergee.id, base.id);
      releasedAvatar = await settleAvatars(tx, actor.accountId, base.id, mergee.id);
      await deleteContact(tx, actor.accountId, mergee.id);
      const merged = mergedColumns(columnsOf(base), columnsOf(mergee));
      await updateContactColumns(tx, actor.accountId, base.id, merged);
      await recordMerge(tx, actor.accountId, { mergedId: mergee.id, intoId: base.id, actorId: actor.userId });
      await recordChanges(tx, actor.accountId, [
        {
          contactId: base.id,
          action: "contact.merged",
          actorId: actor.userId,
          details: {
            mergee_contact_id: String(mergee.id),
            mergee: {
              name: mergee.name,
              email: mergee.email,
              phone_number: mergee.phoneNumber,
              identifier: mergee.identifier,
            },
            changes: contactChanges(columnsOf(base), merged),
            moved,
          },
        },
      ]);
      const outcome = { contact: (await findContact(tx, actor.accountId, base.id)) as Contact, mergee, moved };
      if (input.dryRun) throw new DryRunDone({ ...outcome, dryRun: true });
      return { ...outcome, dryRun: false };
    });
    if (releasedAvatar) await deleteBlobs(deps.blobs, [avatarBlobKey(releasedAvatar)]);
    return result;
  } catch (error) {
    if (error instanceof DryRunDone) return error.result;
    throw error;
  }
}

/**
 * The last entry of the mergee's own history: where it went. It moves to the base with the rest of
 * that history (and is counted in `moved.activities`), so the base's timeline holds both sides.
 * The `contact.merged` event on the base is the one webhooks and followers hear of.
 */
async function closeMergeeHistory(tx: Queryable, actor: Actor, mergee: Contact, base: Contact): Promise<void> {
  await recordHistory(tx, actor.accountId, [
    {
      contactId: mergee.id,
      action: "contact.merged_into",
      actorId: actor.userId,
      details: { base_contact_id: String(base.id), base: { name: base.name, email: base.email } },
    },
  ]);
}

async function checkMayMerge(tx: Queryable, actor: Actor): Promise<void> {
  if (actor.role === "administrator") return;
  if (!(await agentsCanMerge(tx, actor.accountId))) {
    throw new ForbiddenError("An administrator of this account has withdrawn merging from agents");
  }
}

/** Both contacts, locked in id order so two merges of the same pair cannot deadlock. */
async function lockBoth(
  tx: Queryable,
  accountId: number,
  baseId: number,
  mergeeId: number,
): Promise<[Contact, Contact]> {
  const found = new Map<number, Contact>();
  for (const id of [baseId, mergeeId].sort((a, b) => a - b)) {
    const contact = await findContact(tx, accountId, id, { forUpdate: true });
    if (contact) found.set(id, contact);
  }
  const base = found.get(baseId);
  const mergee = found.get(mergeeId);
  if (!base) throw new NotFoundError("contact");
  if (!mergee) throw new NotFoundError("contact");
  return [base, mergee];
}

/**
 * The base keeps its avatar; a base without one takes the mergee's. Returns the key of an
 * uploaded avatar no contact uses any more, whose bytes go after commit.
 */
async function settleAvatars(
  tx: Queryable,
  accountId: number,
  baseId: number,
  mergeeId: number,
): Promise<string | null> {
  const base = await contactAvatar(tx, accountId, baseId);
  const mergee = await contactAvatar(tx, accountId, mergeeId);
  if (!mergee || (!mergee.avatarKey && !mergee.avatarUrl)) return null;
  if (base && !base.avatarKey && !base.avatarUrl) {
    await clearContactAvatarKey(tx, accountId, mergeeId);
    await setContactAvatarColumns(tx, accountId, baseId, { key: mergee.avatarKey, url: mergee.avatarUrl });
    return null;
  }
  if (!mergee.avatarKey) return null;
  await deleteAvatarRow(tx, accountId, mergee.avatarKey);
  return mergee.avatarKey;
}

/** The base's values win; the mergee fills what the base lacks. */
export function mergedColumns(base: ContactColumns, mergee: ContactColumns): ContactColumns {
  const hasPhone = base.phoneE164 !== null;
  return {
    name: base.name !== "" ? base.name : mergee.name,
    email: base.email ?? mergee.email,
    phoneE164: hasPhone ? base.phoneE164 : mergee.phoneE164,
    phoneRaw: hasPhone ? base.phoneRaw : mergee.phoneRaw,
    identifier: base.identifier ?? mergee.identifier,
    avatarUrl: base.avatarUrl ?? mergee.avatarUrl,
    additionalAttributes: deepMerge(base.additionalAttributes, mergee.additionalAttributes),
    customAttributes: deepMerge(base.customAttributes, mergee.customAttributes),
    blocked: base.blocked,
  };
}

/** Keys of both; where both have a value the base's wins, except nested objects, merged key by key. */
export function deepMerge(base: Attributes, mergee: Attributes): Attributes {
  const result: Attributes = { ...base };
  for (const [key, value] of Object.entries(mergee)) {
    const mine = ownValue(base, key);
    if (mine === undefined || mine === null || mine === "") setOwn(result, key, value);
    else if (isPlainObject(mine) && isPlainObject(value)) setOwn(result, key, deepMerge(mine, value));
  }
  return result;
}

function isPlainObject(value: unknown): value is Attributes {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
