import { listLabels as listLabelRows } from "../../store/labels.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";

export interface Label {
  id: number;
  name: string;
  color: string | null;
  description: string | null;
  contactsCount: number;
  createdAt: Date;
}

/** The account's labels with how many contacts carry each. */
export async function listLabels(deps: CoreDeps, actor: Actor): Promise<Label[]> {
  const rows = await listLabelRows(deps.db, actor.accountId);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    color: row.color,
    description: row.description,
    contactsCount: row.contacts_count,
    createdAt: row.created_at,
  }));
}
