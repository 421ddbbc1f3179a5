import type { Attributes, ContactInput } from "../contacts/contact.js";
import { ownValue } from "../own.js";
import { ImportFailure } from "./failure.js";
import type { ImportOptions } from "./options.js";

/** Where a column's cells go. */
export type Target =
  | { kind: "name" | "first_name" | "last_name" | "email" | "phone" | "identifier" | "labels" }
  | { kind: "additional"; key: string }
  | { kind: "custom"; key: string };

/** Header names (lower-cased, without spaces, underscores, hyphens and dots) and what they mean. */
const ALIASES: Record<string, Target> = {
  name: { kind: "name" },
  fullname: { kind: "name" },
  displayname: { kind: "name" },
  firstname: { kind: "first_name" },
  lastname: { kind: "last_name" },
  email: { kind: "email" },
  emailaddress: { kind: "email" },
  phone: { kind: "phone" },
  phonenumber: { kind: "phone" },
  mobile: { kind: "phone" },
  mobilephone: { kind: "phone" },
  telephone: { kind: "phone" },
  identifier: { kind: "identifier" },
  externalid: { kind: "identifier" },
  // No `id`: in contactd's own files (GET /v1/contacts/export.csv) that is the contact's id, not its
  // identifier. Read as one, it clashed with the export's identifier column (duplicate_column) and,
  // in a file without that column, wrote contact ids into identifiers. It is an unknown column now.
  company: { kind: "additional", key: "company_name" },
  companyname: { kind: "additional", key: "company_name" },
  city: { kind: "additional", key: "city" },
  country: { kind: "additional", key: "country" },
  labels: { kind: "labels" },
  tags: { kind: "labels" },
};

const CUSTOM_PREFIX = /^\s*(custom_attributes|custom)\s*\.\s*(.+?)\s*$/i;

export interface ColumnMap {
  header: string[];
  /** One entry per header cell; null for a column that is ignored. */
  targets: Array<Target | null>;
}

function aliasKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]+/g, "");
}

/** An unknown header as a custom attribute key: "Favourite Colour" → favourite_colour. */
function attributeKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

function targetId(target: Target): string {
  return target.kind === "additional" || target.kind === "custom" ? `${target.kind}.${target.key}` : target.kind;
}

/** Reads the header row; a header naming nothing this import knows fails the import. */
export function mapColumns(header: string[], options: ImportOptions): ColumnMap {
  const targets: Array<Target | null> = [];
  const taken = new Map<string, number>();
  let known = 0;
  header.forEach((name, index) => {
    const custom = CUSTOM_PREFIX.exec(name);
    let target: Target | null = custom ? { kind: "custom", key: (custom[2] as string).slice(0, 255) } : null;
    if (target?.key === "__proto__") {
      // As JSON bodies refuse it: as a key it would set the attributes' prototype, not a value.
      throw new ImportFailure(
        "invalid_column",
        `Column ${index + 1} ("${name}") names the attribute key __proto__, which cannot be stored`,
      );
    }
    target ??= ownValue(ALIASES, aliasKey(name)) ?? null;
    if (target) known++;
    else if (options.unknownColumns === "custom_attributes") {
      const key = attributeKey(name).slice(0, 255);
      target = key === "" ? null : { kind: "custom", key };
    }
    if (target) {
      const id = targetId(target);
      const earlier = taken.get(id);
      if (earlier !== undefined) {
        throw new ImportFailure(
          "duplicate_column",
          `Columns ${earlier + 1} ("${header[earlier]}") and ${index + 1} ("${name}") both give ${id.replace(/^(additional|custom)\./, "")}`,
        );
      }
      taken.set(id, index);
    }
    targets.push(target);
  });
  if (known === 0) {
    throw new ImportFailure(
      "no_known_columns",
      "The header row names no column this import knows: use name (or first_name and last_name), email, phone_number, identifier, company, city, country, labels, or custom_attributes.<key>",
    );
  }
  return { header, targets };
}

/** A row's non-blank cells as a contact write; null when it gives nothing at all. */
export function rowInput(map: ColumnMap, cells: string[]): ContactInput | null {
  const input: ContactInput = {};
  let first = "";
  let last = "";
  const additional: Attributes = {};
  const custom: Attributes = {};
  let given = false;
  map.targets.forEach((target, index) => {
    const value = (cells[index] ?? "").trim();
    if (target === null || value === "") return;
    given = true;
    switch (target.kind) {
      case "name":
        input.name = value;
        break;
      case "first_name":
        first = value;
        break;
      case "last_name":
        last = value;
        break;
      case "email":
        input.email = value;
        break;
      case "phone":
        input.phoneNumber = value;
        break;
      case "identifier":
        input.identifier = value;
        break;
      case "labels":
        input.labels = value
          .split(/[,;]/)
          .map((label) => label.trim())
          .filter((label) => label !== "");
        break;
      case "additional":
        additional[target.key] = value;
        break;
      case "custom":
        custom[target.key] = value;
        break;
    }
  });
  if (!given) return null;
  if (input.name === undefined && (first || last)) input.name = [first, last].filter(Boolean).join(" ");
  if (Object.keys(additional).length > 0) input.additionalAttributes = additional;
  if (Object.keys(custom).length > 0) input.customAttributes = custom;
  return input;
}
