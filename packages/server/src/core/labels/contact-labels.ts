import { findContact, touchContact } from "../../store/contacts.js";
import type { Queryable } from "../../store/database.js";
import { contactLabelNames, removeContactLabels } from "../../store/labels.js";
import { labelChanges } from "../activities/changes.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import { createLabelLinks, replaceLabelLinks } from "./links.js";
import { normalizeLabels } from "./normalize.js";

/** The four label verbs on one contact: each returns the contact's labels afterwards. */

export async function contactLabels(deps: CoreDeps, actor: Actor, contactId: number): Promise<string[]> {
  await requireContact(deps.db, actor.accountId, contactId, false);
  return contactLabelNames(deps.db, actor.accountId, contactId);
}

export function setContactLabels(deps: CoreDeps, actor: Actor, contactId: number, names: string[]) {
  return changeLabels(deps, actor, contactId, names, (tx, labels) =>
    replaceLabelLinks(tx, actor.accountId, contactId, labels),
  );
}

export function addLabelsToContact(deps: CoreDeps, actor: Actor, contactId: number, names: string[]) {
  return changeLabels(deps, actor, contactId, names, (tx, labels) =>
    createLabelLinks(tx, actor.accountId, contactId, labels),
  );
}

export function removeLabelsFromContact(deps: CoreDeps, actor: Actor, contactId: number, names: string[]) {
  return changeLabels(deps, actor, contactId, names, (tx, labels) =>
    removeContactLabels(tx, actor.accountId, contactId, labels),
  );
}

async function changeLabels(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  names: string[],
  change: (tx: Queryable, labels: string[]) => Promise<void>,
): Promise<string[]> {
  const errors = new FieldErrors();
  const labels = normalizeLabels(names, errors);
  errors.throwIfAny();
  return deps.db.transaction(async (tx) => {
    await requireContact(tx, actor.accountId, contactId, true);
    const before = await contactLabelNames(tx, actor.accountId, contactId);
    await change(tx, labels);
    const after = await contactLabelNames(tx, actor.accountId, contactId);
    const moved = labelChanges(before, after);
    if (moved.added.length + moved.removed.length > 0) {
      await touchContact(tx, actor.accountId, contactId);
      await recordChanges(tx, actor.accountId, [
        { contactId, action: "contact.labels_changed", actorId: actor.userId, details: moved },
      ]);
    }
    return after;
  });
}

async function requireContact(db: Queryable, accountId: number, contactId: number, forUpdate: boolean) {
  const contact = await findContact(db, accountId, contactId, { forUpdate });
  if (!contact) throw new NotFoundError("contact");
}
