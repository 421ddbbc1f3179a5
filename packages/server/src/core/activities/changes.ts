import type { Attributes, ContactColumns } from "../contacts/contact.js";
import { ownValue } from "../own.js";

export type Changes = Record<string, { from: unknown; to: unknown }>;

const FIELDS: Array<[keyof ContactColumns, string]> = [
  ["name", "name"],
  ["email", "email"],
  ["phoneE164", "phone_number"],
  ["identifier", "identifier"],
  ["avatarUrl", "avatar_url"],
  ["blocked", "blocked"],
];

/** Which fields a write changed, by wire name; attribute hashes are compared key by key. */
export function contactChanges(before: ContactColumns, after: ContactColumns): Changes {
  const changes: Changes = {};
  for (const [column, field] of FIELDS) {
    if (before[column] !== after[column]) changes[field] = { from: before[column], to: after[column] };
  }
  hashChanges(changes, "additional_attributes", before.additionalAttributes, after.additionalAttributes);
  hashChanges(changes, "custom_attributes", before.customAttributes, after.customAttributes);
  return changes;
}

function hashChanges(changes: Changes, field: string, before: Attributes, after: Attributes): void {
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = ownValue(before, key) ?? null;
    const to = ownValue(after, key) ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[`${field}.${key}`] = { from, to };
  }
}

/** Names added and removed between two label lists. */
export function labelChanges(before: string[], after: string[]): { added: string[]; removed: string[] } {
  return {
    added: after.filter((label) => !before.includes(label)),
    removed: before.filter((label) => !after.includes(label)),
  };
}
