import type { Queryable } from "../../store/database.js";
import { addContactLabels, ensureLabels, replaceContactLabels } from "../../store/labels.js";

/** Links a contact to labels by name, creating labels the account does not have yet. */
export async function createLabelLinks(tx: Queryable, accountId: number, contactId: number, names: string[]) {
  await addContactLabels(tx, accountId, contactId, await ensureLabels(tx, accountId, names));
}

export async function replaceLabelLinks(tx: Queryable, accountId: number, contactId: number, names: string[]) {
  await replaceContactLabels(tx, accountId, contactId, await ensureLabels(tx, accountId, names));
}
