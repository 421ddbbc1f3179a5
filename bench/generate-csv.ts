/**
 * Deterministic contacts CSV for the bulk benchmarks: the same seed and row count always give the
 * same bytes. Rows are written as they are made, so memory stays flat whatever the row count.
 *
 *   tsx bench/generate-csv.ts --rows 1000000 --out /tmp/contacts-1m.csv [--copy-out /tmp/copy.csv] [--seed 42]
 *
 * Besides valid contacts (names in many scripts, unique emails, identifiers and valid mobile numbers
 * from 35 countries, company, city, country, tags and two custom attributes), the file holds
 * deliberately bad rows: about 1% with an invalid email (the import fails them) and about 0.5% that
 * repeat the email of an earlier row (the import skips them as duplicates in the file).
 *
 * `--copy-out` also writes the rows the import creates, already mapped to contacts columns
 * (name, email, phone_e164, phone_raw, identifier, additional_attributes, custom_attributes), as
 * CSV for `COPY ... FROM` baselines.
 *
 * Several files for one database (one per account and load stage, as the benchmark suite writes
 * them) number their rows from different `startIndex` values, so that no email, phone or
 * identifier repeats across them; `copyAccountId` puts an account_id column first in the COPY rows.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { LOCALES, type Locale, PLANS, TAGS } from "./locales.js";

export const IMPORT_HEADER = [
  "name",
  "email",
  "phone",
  "external_id",
  "company",
  "city",
  "country",
  "tags",
  "custom_attributes.plan",
  "custom.lifetime_value",
] as const;

export const COPY_COLUMNS = [
  "name",
  "email",
  "phone_e164",
  "phone_raw",
  "identifier",
  "additional_attributes",
  "custom_attributes",
] as const;

export interface GenerateOptions {
  rows: number;
  out: string;
  /** Also write the rows the import creates, mapped to contacts columns, for COPY. */
  copyOut?: string;
  seed?: number;
  /** Share of rows with an invalid email (failed by the import). Default 0.01. */
  invalidRate?: number;
  /** Share of rows repeating an earlier row's email (skipped by the import). Default 0.005. */
  duplicateRate?: number;
  /** Number of this file's first row among all files of one dataset (keys stay unique). Default 0. */
  startIndex?: number;
  /** Writes this account_id as the first column of the COPY rows. */
  copyAccountId?: number;
}

export interface GenerateSummary {
  rows: number;
  seed: number;
  file: string;
  bytes: number;
  copyFile: string | null;
  copyRows: number;
  copyBytes: number;
  invalidRows: number;
  duplicateRows: number;
  /** What an import of the file into an empty account must report. */
  expected: { created: number; updated: number; skipped: number; failed: number };
  seconds: number;
}

/** Rows are numbered by bijections of their index below these bounds, which keeps keys unique. */
export const MAX_ROWS = 10_000_000;
const TOKEN_SPACE = 36n ** 6n;

/** sfc32, seeded through splitmix32: small, fast and the same on every platform. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** A 6-character base-36 token, different for every row index below MAX_ROWS. */
function token(index: number): string {
  return ((BigInt(index) * 1_345_294_711n + 7_777_777n) % TOKEN_SPACE).toString(36).padStart(6, "0");
}

/** A 7-digit value, different for every row index below MAX_ROWS; the phone plans keep it. */
function phoneValue(index: number): string {
  return String((index * 6_180_339 + 1_234_567) % 10_000_000).padStart(7, "0");
}

function csvCell(value: string | null): string {
  if (value === null) return "";
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** COPY's CSV: an unquoted empty field is NULL, so empty strings are quoted. */
function copyCell(value: string | null): string {
  if (value === null) return "";
  return value === "" || /[",\r\n\\]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

class LineWriter {
  private lines: string[] = [];
  bytes = 0;
  constructor(private readonly stream: WriteStream) {}

  async push(line: string): Promise<void> {
    this.lines.push(line);
    if (this.lines.length >= 2000) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join("");
    this.lines = [];
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "finish");
  }
}

interface Row {
  name: string;
  email: string | null;
  phoneE164: string | null;
  phoneRaw: string | null;
  identifier: string | null;
  company: string | null;
  city: string | null;
  country: string;
  tags: string | null;
  plan: string | null;
  lifetimeValue: string | null;
}

export async function generate(options: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now();
  const { rows, out } = options;
  const startIndex = options.startIndex ?? 0;
  if (!Number.isInteger(rows) || rows < 1 || startIndex < 0 || startIndex + rows > MAX_ROWS) {
    throw new Error(`rows must be 1 to ${MAX_ROWS}, and end below ${MAX_ROWS} after startIndex`);
  }
  const copyPrefix = options.copyAccountId === undefined ? "" : `${options.copyAccountId},`;
  const seed = options.seed ?? 20261122;
  const invalidRate = options.invalidRate ?? 0.01;
  const duplicateRate = options.duplicateRate ?? 0.005;
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;
  const totalWeight = LOCALES.reduce((sum, locale) => sum + locale.weight, 0);
  const pickLocale = (): Locale => {
    let r = random() * totalWeight;
    for (const locale of LOCALES) {
      r -= locale.weight;
      if (r < 0) return locale;
    }
    return LOCALES[LOCALES.length - 1] as Locale;
  };

  const csv = new LineWriter(createWriteStream(out));
  const copy = options.copyOut ? new LineWriter(createWriteStream(options.copyOut)) : null;
  await csv.push(`${IMPORT_HEADER.join(",")}\r\n`);

  // Emails of recent valid rows, for duplicates (a bounded ring, not the whole file).
  const recentEmails: string[] = [];
  const RING = 50_000;
  let invalidRows = 0;
  let duplicateRows = 0;
  let copyRows = 0;

  for (let index = startIndex; index < startIndex + rows; index++) {
    const locale = pickLocale();
    const [given, givenAscii] = pick(locale.given);
    const [family, familyAscii] = pick(locale.family);
    let name =
      locale.order === "western"
        ? `${given} ${family}`
        : locale.order === "eastern"
          ? `${family} ${given}`
          : `${family}${given}`;
    if (locale.code === "US" && chance(0.01)) name += pick([", Jr.", " III", ", PhD"]);
    const id = token(index);

    const kind =
      chance(duplicateRate) && recentEmails.length > 0 ? "duplicate" : chance(invalidRate) ? "invalid" : "ok";
    let email: string | null = null;
    if (kind === "duplicate") {
      const earlier = pick(recentEmails);
      // Case differs now and then: emails compare case-insensitively.
      email = chance(0.5) ? earlier.toUpperCase() : earlier;
    } else if (kind === "invalid" || chance(0.95)) {
      const local = pick([
        `${givenAscii}.${familyAscii}.${id}`,
        `${givenAscii}${familyAscii}${id}`,
        `${givenAscii.slice(0, 1)}${familyAscii}.${id}`,
        `${familyAscii}_${id}`,
      ]);
      const domain = pick(locale.domains);
      if (kind === "invalid") {
        email = pick([`${local}.${domain}`, `${local}@@${domain}`, `${local} @${domain}`, `${local}@`]);
      } else {
        email = chance(0.1)
          ? `${local[0]?.toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`
          : `${local}@${domain}`;
      }
    }

    let phoneE164: string | null = null;
    let phoneRaw: string | null = null;
    if (chance(0.85)) {
      const national = locale.national(phoneValue(index), pick);
      phoneE164 = `+${locale.dial}${national}`;
      phoneRaw = formatPhone(locale, national, random());
    }

    const row: Row = {
      name,
      email,
      phoneE164,
      phoneRaw,
      identifier: chance(0.7) ? `CRM-${id.toUpperCase()}` : null,
      company: chance(0.6) ? pick(locale.companies) : null,
      city: chance(0.9) ? pick(locale.cities) : null,
      country: locale.country,
      tags: tagsCell(random, pick),
      plan: chance(0.8) ? pick(PLANS) : null,
      lifetimeValue: chance(0.5) ? (random() * 20_000).toFixed(2) : null,
    };

    await csv.push(
      `${[
        row.name,
        row.email,
        row.phoneRaw,
        row.identifier,
        row.company,
        row.city,
        row.country,
        row.tags,
        row.plan,
        row.lifetimeValue,
      ]
        .map(csvCell)
        .join(",")}\r\n`,
    );

    if (kind === "duplicate") duplicateRows++;
    else if (kind === "invalid") invalidRows++;
    else {
      if (email !== null) {
        if (recentEmails.length < RING) recentEmails.push(email);
        else recentEmails[index % RING] = email;
      }
      copyRows++;
      if (copy) await copy.push(copyPrefix + copyLine(row));
    }
  }

  await csv.close();
  await copy?.close();
  return {
    rows,
    seed,
    file: out,
    bytes: csv.bytes,
    copyFile: options.copyOut ?? null,
    copyRows,
    copyBytes: copy?.bytes ?? 0,
    invalidRows,
    duplicateRows,
    expected: { created: copyRows, updated: 0, skipped: duplicateRows, failed: invalidRows },
    seconds: (performance.now() - started) / 1000,
  };
}

/** The row as the import stores it: email lower-cased, attributes as JSON objects of strings. */
function copyLine(row: Row): string {
  const additional: Record<string, string> = {};
  if (row.company !== null) additional.company_name = row.company;
  if (row.city !== null) additional.city = row.city;
  additional.country = row.country;
  const custom: Record<string, string> = {};
  if (row.plan !== null) custom.plan = row.plan;
  if (row.lifetimeValue !== null) custom.lifetime_value = row.lifetimeValue;
  return `${[
    row.name,
    row.email?.toLowerCase() ?? null,
    row.phoneE164,
    row.phoneRaw,
    row.identifier,
    JSON.stringify(additional),
    JSON.stringify(custom),
  ]
    .map(copyCell)
    .join(",")}\n`;
}

/** Numbers as people type them: compact E.164, grouped with spaces, or with dashes and brackets. */
function formatPhone(locale: Locale, national: string, r: number): string {
  if (r < 0.4) return `+${locale.dial}${national}`;
  const groups: string[] = [];
  let at = 0;
  for (const size of locale.groups) {
    groups.push(national.slice(at, at + size));
    at += size;
  }
  if (at < national.length) groups.push(national.slice(at));
  if (r < 0.8) return `+${locale.dial} ${groups.join(" ")}`;
  if (locale.dial === "1") return `+1 (${groups[0]}) ${groups[1]}-${groups.slice(2).join("")}`;
  return `+${locale.dial}-${groups.join("-")}`;
}

function tagsCell(random: () => number, pick: <T>(items: readonly T[]) => T): string | null {
  const r = random();
  const count = r < 0.35 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
  if (count === 0) return null;
  const tags = new Set<string>();
  // "vip" and "lead" are common, the rest spread out.
  while (tags.size < count) tags.add(random() < 0.3 ? pick(["vip", "lead", "customer"]) : pick(TAGS));
  const list = [...tags].map((tag) => (random() < 0.05 ? tag.toUpperCase() : tag));
  return list.join(random() < 0.7 ? ";" : ",");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      out: { type: "string" },
      "copy-out": { type: "string" },
      seed: { type: "string" },
    },
  });
  if (!values.out) {
    process.stderr.write("usage: tsx bench/generate-csv.ts --rows N --out FILE [--copy-out FILE] [--seed N]\n");
    process.exit(2);
  }
  const summary = await generate({
    rows: Number(values.rows),
    out: values.out,
    ...(values["copy-out"] ? { copyOut: values["copy-out"] } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
