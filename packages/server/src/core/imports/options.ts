import { FieldErrors } from "../errors.js";

export const MATCH_KEYS = ["identifier", "email", "phone"] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

export interface ImportOptions {
  dryRun: boolean;
  /** Columns the import does not know: ignored, or kept as custom attributes. */
  unknownColumns: "ignore" | "custom_attributes";
  /** Keys an existing contact is matched by, in order of precedence. */
  match: MatchKey[];
}

/** The form fields of an import request, checked all at once. */
export function parseImportOptions(fields: Record<string, string | undefined>): ImportOptions {
  const errors = new FieldErrors();
  const options: ImportOptions = { dryRun: false, unknownColumns: "ignore", match: [...MATCH_KEYS] };
  const dryRun = fields.dry_run?.trim().toLowerCase();
  if (dryRun === "true" || dryRun === "1") options.dryRun = true;
  else if (dryRun !== undefined && dryRun !== "false" && dryRun !== "0" && dryRun !== "") {
    errors.add("dry_run", "invalid_boolean", "must be true or false");
  }
  const unknown = fields.unknown_columns?.trim();
  if (unknown === "custom_attributes") options.unknownColumns = "custom_attributes";
  else if (unknown !== undefined && unknown !== "ignore" && unknown !== "") {
    errors.add("unknown_columns", "invalid_option", "must be ignore or custom_attributes");
  }
  const match = fields.match?.trim();
  if (match !== undefined && match !== "") {
    const keys = match.split(",").map((key) => (key.trim() === "phone_number" ? "phone" : key.trim()));
    const bad = keys.filter((key) => !(MATCH_KEYS as readonly string[]).includes(key));
    if (bad.length > 0)
      errors.add("match", "invalid_option", "must list identifier, email and/or phone, comma-separated");
    else options.match = [...new Set(keys as MatchKey[])];
  }
  errors.throwIfAny();
  return options;
}
