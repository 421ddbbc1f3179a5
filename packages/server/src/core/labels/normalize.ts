import type { FieldErrors } from "../errors.js";

const MAX_LABELS = 100;
const LABEL = /^[^\s,\u0000-\u001f\u007f][^,\u0000-\u001f\u007f]{0,254}$/u;

/** Lower-cased, trimmed, de-duplicated label names; commas and control characters are refused. */
export function normalizeLabels(names: readonly string[], errors: FieldErrors, field = "labels"): string[] {
  const result = new Set<string>();
  for (const [index, name] of names.entries()) {
    const label = name.trim().toLowerCase();
    if (!LABEL.test(label)) {
      errors.add(
        `${field}[${index}]`,
        "invalid_label",
        "must be 1 to 255 characters with no commas or control characters",
      );
    } else {
      result.add(label);
    }
  }
  if (result.size > MAX_LABELS) errors.add(field, "too_many", `at most ${MAX_LABELS} labels per contact`);
  return [...result].sort();
}
