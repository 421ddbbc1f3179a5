import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { Writable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import type { Actor } from "../src/core/actor.js";
import { SORT_KEYS } from "../src/core/contacts/contact.js";
import { FILTER_OPERATORS } from "../src/core/contacts/filter-keys.js";
import { DEFAULT_COLUMNS, EXPORT_SORT_KEYS } from "../src/core/exports/contacts-csv.js";
import * as chatwoot from "../src/faces/chatwoot/schemas.js";
import * as imbrace from "../src/faces/imbrace/schemas.js";
import { Metrics } from "../src/metrics.js";
import type { Database } from "../src/store/database.js";
import { migrate } from "../src/store/migrate.js";
import { sql } from "../src/store/sql.js";
import {
  backend,
  basicAuth,
  type Credentials,
  freshDatabase,
  newAccount,
  newAgent,
  openTestDatabase,
  type TestServer,
  tempBlobStore,
  testCore,
} from "./harness.js";
import { IMAGES } from "./upload-helpers.js";

/**
 * Property-based fuzzing of every route of every face (fast-check), over real HTTP.
 *
 * Every {method, url} of `app.routeTable` (but HEAD twins and the /docs files) gets requests
 * derived from its schemas: the OpenAPI document's for /v1, the faces' own schema modules for the
 * compatibility faces. Inputs are mostly schema-valid-ish with hostile values (unicode edge cases,
 * NUL, SQL and LIKE metacharacters, CSV formulas, real and garbage ids), and otherwise mutated,
 * malformed, oversized, deeply nested, wrongly typed or wrongly encoded. Then uploads (multipart
 * edge cases), malformed HTTP on raw sockets, and bodies that stall.
 *
 * The properties: no answer is a 5xx, the server answers every request and is healthy between
 * phases, and every rejection is a 4xx in the error shape of the face that was asked (answers
 * Node's HTTP parser gives before any route is known, such as 408 to a stalled body or 431 to
 * oversized headers, only need to be a 4xx). Exported CSV never holds a cell a spreadsheet runs.
 *
 * The seed is fixed (FUZZ_SEED overrides it); every failure lists the offending requests with the
 * seed to run them again, and a 5xx comes with the line the server logged for it. Body excerpts
 * show huge strings as @@HUGE_<length>_<unit>@@ and deep nesting as @@DEEP_<levels>_<0 objects|1
 * arrays>@@. Other knobs: FUZZ_RUNS (requests per route, default 80), FUZZ_PHASES (a comma list of
 * native, compat, uploads, raw, slow), FUZZ_REPORT=<file> (every finding as JSON) and FUZZ_VERBOSE
 * (the slowest routes, and the status codes of routes that never succeeded).
 */

const SEED = Number.parseInt(process.env.FUZZ_SEED ?? "20251122", 10);
/** Requests per route (three times as many for upload routes). */
const RUNS = Number.parseInt(process.env.FUZZ_RUNS ?? "80", 10);
/** For debugging: FUZZ_PHASES=native,raw runs only those phases (the 10,000 floor is then not checked). */
const ALL_PHASES = ["native", "compat", "uploads", "raw", "slow"];
const PHASES = new Set((process.env.FUZZ_PHASES ?? ALL_PHASES.join(",")).split(","));
const phaseIt = (name: string) => (PHASES.has(name) ? it : it.skip);
const CONCURRENCY = 8;
const ANSWER_WITHIN_MS = 20_000;
/** Small limits, so that going past them is cheap. */
const LIMITS = {
  bodyLimit: 256 * 1024,
  maxFileBytes: 64 * 1024,
  maxAvatarBytes: 16 * 1024,
  maxImportBytes: 64 * 1024,
};
const SLOW_TIMEOUT_MS = 1000;

type Schema = Record<string, any>;
type Face = "native" | "public" | "chatwoot" | "livedesk" | "imbrace" | "root";
type UploadKind = "file" | "image" | "import";

interface RouteSpec {
  method: string;
  url: string;
  face: Face;
  params: string[];
  query?: Schema;
  body?: Schema;
  upload?: UploadKind;
  /** Where the schemas came from: openapi, a face's schema module, or none (generic fuzzing). */
  source: string;
}

interface Payload {
  /** A string is JSON text that may hold huge/deep placeholders, expanded when sent. */
  body?: string | Buffer;
  contentType?: string;
  note: string;
  /** Over a size limit: the server may stop reading and close the connection. */
  oversized?: boolean;
}

interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  payload: Payload;
  note: string;
}

interface Finding {
  phase: string;
  kind: string;
  route: string;
  method: string;
  path: string;
  note: string;
  status: number | null;
  request: string;
  response: string;
  /** Fastify's own error code when the answer carries one: such findings are grouped over routes. */
  code?: string;
}

interface Pools {
  contacts: number[];
  inboxes: number[];
  conversations: number[];
  users: number[];
  webhooks: number[];
  notifications: number[];
  adminNotifications: number[];
  imports: number[];
  exports: number[];
  apiKeys: number[];
  avatarKeys: string[];
  files: Array<[number, number]>;
  comments: Array<[number, number]>;
  deliveries: Array<[number, number]>;
  cursors: string[];
  /** Emails, phone numbers and identifiers real contacts hold: lookups find them, writes clash on them. */
  emails: string[];
  phones: string[];
  identifiers: string[];
}

interface World {
  server: TestServer;
  slow: TestServer;
  admin: Credentials;
  agent: Credentials;
  foreign: Credentials;
  adminActor: Actor;
  spareUserId: number;
  foreignIds: number[];
  pools: Pools;
  round: number;
  specs: RouteSpec[];
}

// ---- Bookkeeping -------------------------------------------------------------------------------

const stats = {
  total: 0,
  byRoute: new Map<string, number>(),
  okByRoute: new Map<string, number>(),
  msByRoute: new Map<string, number>(),
  statusesByRoute: new Map<string, Map<number, number>>(),
  byStatusClass: new Map<string, number>(),
  transportLevel: 0,
  csvChecked: 0,
  closedEarly: 0,
  started: Date.now(),
};
const findings: Finding[] = [];

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function excerpt(value: string | Buffer | undefined, max = 280): string {
  if (value === undefined) return "(none)";
  const text = typeof value === "string" ? value : value.toString("latin1");
  const shown = JSON.stringify(text.slice(0, max));
  return text.length > max ? `${shown}… (${text.length} ${typeof value === "string" ? "chars" : "bytes"})` : shown;
}

function formatFindings(phase: string): string | null {
  const mine = findings.filter((f) => f.phase === phase);
  if (mine.length === 0) return null;
  const groups = new Map<string, Finding[]>();
  for (const f of mine) {
    const key = f.code
      ? `${f.kind} — ${f.status} ${f.code}, on any route`
      : `${f.kind} — ${f.status ?? "no status"} on ${f.route}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const lines = [
    `${mine.length} problem(s) in phase "${phase}" on ${backend}; rerun with FUZZ_SEED=${SEED}${RUNS !== 80 ? ` FUZZ_RUNS=${RUNS}` : ""}`,
  ];
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  for (const [key, list] of sorted.slice(0, 60)) {
    lines.push(`• ${key} (×${list.length})`);
    const routes = [...new Set(list.map((f) => f.route))];
    if (routes.length > 1)
      lines.push(`    routes: ${routes.slice(0, 10).join(", ")}${routes.length > 10 ? ", …" : ""}`);
    for (const f of list.slice(0, 2)) {
      lines.push(`    ${f.method} ${f.path.slice(0, 300)}${f.path.length > 300 ? "…" : ""}`);
      if (f.note) lines.push(`      input: ${f.note}`);
      lines.push(`      body: ${f.request}`);
      lines.push(`      answer: ${f.response}`);
    }
  }
  if (sorted.length > 60) lines.push(`… and ${sorted.length - 60} more kinds`);
  return lines.join("\n");
}

function assertNoFindings(phase: string): void {
  const report = formatFindings(phase);
  if (report) throw new Error(report);
}

// ---- Faces and their error shapes --------------------------------------------------------------

/** The face whose shape a path's answers take: by prefix, as the app routes errors and unknown paths. */
function faceOf(pathname: string): Face {
  if (pathname === "/v1" || pathname.startsWith("/v1/")) return "native";
  if (pathname.startsWith("/api/v1/")) return "chatwoot";
  if (pathname.startsWith("/api/v2/")) return "livedesk";
  if (pathname.startsWith("/channel-service/")) return "imbrace";
  if (/^\/avatars\/[^/]*$/.test(pathname)) return "public";
  return "root";
}

/**
 * What Node's HTTP server answers before any route is known: Fastify's clientError handler (these
 * messages) or Node itself (no body). Neither passes the app's hooks, so neither has an X-Request-Id.
 */
const TRANSPORT_MESSAGES = new Set(["Client Error", "Client Timeout", "Exceeded maximum allowed HTTP header size"]);

const NATIVE_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "conflict_error",
  "rate_limit_error",
]);

/** Internals a rejection must never show: stack frames, file paths, database error texts. */
const LEAK =
  /\n\s+at |node_modules|\.[jt]s:\d+|violates .*constraint|invalid input syntax|out of range for type|syntax error at or near|duplicate key value|unsupported Unicode escape|invalid byte sequence|stack depth limit|Maximum call stack/i;

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

/** Why a 4xx answer is not a clear rejection in the face's shape, or null when it is. */
function rejectionProblem(
  face: Face,
  status: number,
  header: (name: string) => string | null,
  bytes: Buffer,
): string | null {
  let body: any;
  try {
    body = bytes.length === 0 ? undefined : JSON.parse(bytes.toString("utf8"));
  } catch {
    return `body is not JSON (content-type ${header("content-type")})`;
  }
  const transport =
    header("x-request-id") === null &&
    (body === undefined || (isObject(body) && TRANSPORT_MESSAGES.has(body.message) && body.statusCode === status));
  if (transport) {
    stats.transportLevel++;
    return null;
  }
  if (body === undefined) return "empty body";
  if (!/^application\/json/i.test(header("content-type") ?? "")) return `content-type ${header("content-type")}`;
  const messages: unknown[] = [];
  let problem: string | null = null;
  switch (face) {
    case "native":
    case "public":
    case "root": {
      const error = isObject(body) ? body.error : undefined;
      if (!isObject(error)) problem = "not {error: {type, code, message, request_id}}";
      else if (!isText(error.type) || !NATIVE_TYPES.has(error.type))
        problem = `error.type ${JSON.stringify(error.type)}`;
      else if (!isText(error.code) || !/^[a-z_]+$/.test(error.code))
        problem = `error.code ${JSON.stringify(error.code)}`;
      else if (!isText(error.message)) problem = "error.message missing";
      else if (!isText(error.request_id)) problem = "error.request_id missing";
      else if (error.request_id !== header("x-request-id")) problem = "error.request_id is not the X-Request-Id";
      messages.push(error?.message);
      break;
    }
    case "chatwoot": {
      const plain = isObject(body) && isText(body.error) && Object.keys(body).length === 1;
      const record =
        isObject(body) &&
        isText(body.message) &&
        Array.isArray(body.attributes) &&
        body.attributes.every((a: unknown) => isText(a));
      if (!plain && !record) problem = "not {error} or {message, attributes}";
      messages.push(body?.error, body?.message);
      break;
    }
    case "livedesk": {
      const ok =
        isObject(body) &&
        isText(body.error) &&
        (body.attributes === undefined ||
          (Array.isArray(body.attributes) && body.attributes.every((a: unknown) => isText(a))));
      if (!ok) problem = "not {error, attributes?}";
      messages.push(body?.error);
      break;
    }
    case "imbrace": {
      if (!isObject(body) || !isText(body.message) || !isText(body.code) || !isText(body.request_id)) {
        problem = "not {message, code, request_id}";
      } else if (body.request_id !== header("x-request-id")) problem = "request_id is not the X-Request-Id";
      messages.push(body?.message);
      break;
    }
  }
  if (problem) return `${face} error shape: ${problem}`;
  const leaked = messages.find((m) => typeof m === "string" && LEAK.test(m));
  return leaked ? `message shows internals: ${excerpt(leaked as string, 200)}` : null;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const E164 = /^\+[1-9][0-9]{1,14}$/;
const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** Cells of a CSV text that a spreadsheet would run as a formula (export escaping missed them). */
function formulaCells(text: string): string[] {
  const bad: string[] = [];
  for (const row of parseCsv(text.replace(/^\uFEFF/, ""))) {
    for (const cell of row) {
      if (FORMULA_START.test(cell) && !E164.test(cell) && !NUMBER.test(cell)) bad.push(cell);
    }
  }
  return bad;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

interface RequestInfo {
  phase: string;
  route: string;
  method: string;
  path: string;
  note: string;
  request: string;
}

/** Judges one answer; anything wrong becomes a finding. */
function judge(
  info: RequestInfo,
  face: Face,
  status: number,
  header: (name: string) => string | null,
  bytes: Buffer,
): void {
  bump(stats.byStatusClass, `${Math.floor(status / 100)}xx`);
  const statuses = stats.statusesByRoute.get(info.route) ?? new Map<number, number>();
  stats.statusesByRoute.set(info.route, statuses);
  bump(statuses, status);
  if (status >= 200 && status < 300) bump(stats.okByRoute, info.route);
  const add = (kind: string, response = excerpt(bytes.toString("utf8"))): void => {
    let code: string | undefined;
    try {
      const parsed = JSON.parse(bytes.toString("utf8"));
      if (typeof parsed?.code === "string" && parsed.code.startsWith("FST_")) code = parsed.code;
    } catch {}
    findings.push({ ...info, kind, status, response, ...(code ? { code } : {}) });
  };
  const type = header("content-type") ?? "";
  if (status >= 500) {
    const logged = serverLog.get(header("x-request-id") ?? "");
    add("server error", `${excerpt(bytes.toString("utf8"), 160)}${logged ? `; server log: ${logged}` : ""}`);
    return;
  }
  if (status >= 400) {
    const problem = rejectionProblem(face, status, header, bytes);
    if (problem) add(`unclear rejection: ${problem}`);
    return;
  }
  if (status >= 300) return;
  if (type.startsWith("text/csv")) {
    stats.csvChecked++;
    const bad = formulaCells(bytes.toString("utf8"));
    if (bad.length > 0) add("CSV cells a spreadsheet would run", excerpt(bad.slice(0, 5).join(" | ")));
    return;
  }
  if (type.startsWith("application/json")) {
    let body: any;
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      add("2xx body is not JSON");
      return;
    }
    // A batch answers 200 with each operation's own status: a 5xx there is a server error all the same.
    if (info.route === "POST /v1/contacts/batch" && Array.isArray(body?.results)) {
      const failed = body.results.find((r: { status?: number }) => (r.status ?? 0) >= 500);
      if (failed) add("server error in a batch operation", excerpt(JSON.stringify(failed), 300));
    }
    if (info.route === "POST /v1/contacts/:id/files" && status === 201) {
      const name = String(body?.name ?? "");
      // Stored names are for display only, but must never carry a path or control characters.
      if (/[/\\\u0000-\u001f]/.test(name) || name.startsWith(".")) add("uploaded file kept an unsafe name");
    }
  }
}

// ---- Hostile values ----------------------------------------------------------------------------

function weighted<T>(...entries: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> {
  return fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "a\ud83d", "\ude00b", "\ud800\ud800"];
const FORMULAS = [
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://evil.example","click")',
  "=1+1",
  "+1+1",
  "-1+1",
  "@SUM(1,1)",
  "\t=1+1",
  "\r=1+1",
  '=IMPORTXML("http://evil.example","//a")',
  "=",
  "+",
  "-",
  "@",
  "'=already quoted",
];
const NASTY: string[] = [
  "",
  " ",
  "  padded  ",
  "\t",
  "\n",
  "\r\n",
  "\u0000",
  "a\u0000b",
  "\u0000\u0000\u0000",
  "\u0001\u001f\u007f",
  "\u0085\u2028\u2029",
  ...LONE_SURROGATES,
  "\u202eevil\u202c.txt",
  "\u200f\u05e9\u05dc\u05d5\u05dd",
  "مرحبا بالعالم",
  "\u200b",
  "a\u200bb\u200cc\u200dd",
  "\u2060\ufeff",
  "\ufffe\uffff",
  "\ufffd",
  "😀",
  "👨‍👩‍👧‍👦",
  "🏳️‍🌈",
  "🇺🇸🇬🇧",
  "e\u0301",
  `Z${"\u0336\u0337\u0338\u0335".repeat(30)}`,
  "ﷺ",
  "𝕏𝕐𝕫",
  "ß ǅ ﬃ İ ı",
  "%",
  "_",
  "\\",
  "%_\\",
  "'",
  '"',
  ";",
  "--",
  "/*",
  "' OR '1'='1",
  "'; DROP TABLE contacts; --",
  "\\'",
  "%%",
  "\\%",
  "\\_",
  "a%b_c\\d",
  "$1",
  "$$ $tag$",
  "E'\\x00'",
  "::text",
  "NULL",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "0x41",
  ...FORMULAS,
  "../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "/etc/passwd",
  "file:///etc/passwd",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "{{7*7}}",
  "$" + "{7*7}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "a,b",
  "a;b",
  '"quoted"',
  "line1\nline2",
  "x".repeat(256),
  "é".repeat(256),
  "😀".repeat(256),
];

const memo = new Map<string, fc.Arbitrary<string>>();

/** Hostile strings, with the lengths around a declared maxLength. */
function nastyString(maxLength?: number): fc.Arbitrary<string> {
  const key = String(maxLength);
  const known = memo.get(key);
  if (known) return known;
  const entries: Array<[number, fc.Arbitrary<string>]> = [
    [6, fc.constantFrom(...NASTY)],
    [3, fc.string({ unit: "grapheme", maxLength: 30 })],
    [1, fc.string({ unit: "binary", maxLength: 30 })],
    [
      2,
      fc.string({
        unit: fc.constantFrom(
          "%",
          "_",
          "\\",
          "'",
          '"',
          ";",
          "\u0000",
          "a",
          "é",
          "\u202e",
          "\u200b",
          "\ud800",
          "😀",
          "=",
        ),
        maxLength: 16,
      }),
    ],
    [2, fc.tuple(fc.constantFrom(...NASTY), fc.constantFrom(...NASTY)).map(([a, b]) => a + b)],
  ];
  if (maxLength !== undefined && maxLength <= 100_000) {
    const edges = [
      "a".repeat(maxLength),
      "a".repeat(maxLength + 1),
      "😀".repeat(maxLength),
      "😀".repeat(maxLength + 1),
      "e\u0301".repeat(Math.ceil(maxLength / 2) + 1),
    ];
    entries.push([1, fc.constantFrom(...edges)]);
  }
  const arbitrary = weighted(...entries);
  memo.set(key, arbitrary);
  return arbitrary;
}

const EMAILS = [
  "a@b.co",
  "UPPER@EXAMPLE.COM",
  "x%y@z.example",
  "a_b@c.example",
  "o'brien@x.example",
  '"q"@x.example',
  "a@b",
  "@",
  "a@@b",
  "ü@ü.example",
  "a@b.example\u0000",
  " spaced@x.example ",
  "a@b.example;DROP",
  "%@_",
  `${"a".repeat(310)}@x.example`,
  `a@${"b".repeat(400)}.example`,
  "=cmd@x.example",
];
const emailArb = weighted<string>([3, fc.constantFrom(...EMAILS)], [2, fc.emailAddress()], [1, nastyString(1024)]);

const PHONES = [
  "+14155550123",
  "+1 (415) 555-0124",
  "415-555-0125",
  "0044 20 7946 0958",
  "+",
  "++1",
  "+0",
  "+999999999999999999",
  "1".repeat(128),
  "1".repeat(129),
  "+1 415 555 0126 ext. 5",
  "٠١٢٣٤٥٦٧٨٩",
  "+1\u00004155550127",
  "+84912345678",
  "tel:+14155550128",
  "+1-800-FLOWERS",
  "+44 (0) 20 7946 0999",
  "-14155550123",
];
const phoneArb = weighted<string>(
  [3, fc.constantFrom(...PHONES)],
  [1, fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/)],
  [1, nastyString(128)],
);

const DATES = [
  "2024-01-01T00:00:00Z",
  "2024-01-01T00:00:00.000Z",
  "2016-12-31T23:59:60Z",
  "1998-12-31T23:59:60+00:00",
  "9999-12-31T23:59:59Z",
  "0001-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "2024-02-30T00:00:00Z",
  "2024-01-01T00:00:00+14:00",
  "2024-01-01T00:00:00-23:59",
  "2024-01-01t00:00:00z",
  "2024-01-01T00:00:00.123456789Z",
  "2024-01-01 00:00:00Z",
  "1970-01-01T00:00:00Z",
  "2038-01-19T03:14:08Z",
  "+275760-09-13T00:00:00Z",
  "now",
  "",
  "2024-13-01T00:00:00Z",
  "2024-01-01",
  "01/02/2024",
  "2024-01-01T25:00:00Z",
  "1e10",
];
const dateArb = weighted<string>(
  [3, fc.constantFrom(...DATES)],
  [1, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())],
);

const VALID_URLS = [
  "http://127.0.0.1:9/hook",
  "https://example.invalid/hook?x=1&y=%00",
  "http://localhost/",
  "http://[::1]:1/",
  "http://169.254.169.254/latest/meta-data",
  "https://example.invalid/=cmd|' /C calc'!A0",
  "https://example.invalid/😀/\u202e",
];
const URLS = [
  ...VALID_URLS,
  "file:///etc/passwd",
  "javascript:alert(1)",
  "ftp://example.invalid/x",
  "http://",
  "http://a b/",
  "HTTP://EXAMPLE.INVALID/",
  "http://user:pass@example.invalid/",
  "http://example.invalid:99999/",
  "//example.invalid",
  "http://例え.テスト/",
  "/avatars/../../etc/passwd",
  `https://example.invalid/${"a".repeat(2100)}`,
];
const LABELS = [
  "vip",
  "VIP",
  " vip ",
  "lead-1",
  "a,b",
  "",
  "x".repeat(255),
  "x".repeat(256),
  "\u0000",
  "=cmd",
  "%",
  "_",
];
const labelArb = weighted<string>(
  [3, fc.constantFrom(...LABELS, "😀", "tab\there", "new\nline")],
  [1, nastyString(1024)],
);
const EVENTS = [
  "*",
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.merged",
  "conversation.created",
  "conversation.updated",
  "comment.created",
  "bogus.event",
  "",
  "CONTACT.CREATED",
  "contact.*",
];
const CHANNELS = [
  "Channel::Email",
  "Channel::Api",
  "Channel::Whatsapp",
  "Channel::WebWidget",
  "Channel::Sms",
  "Channel::Telegram",
  "email",
  "api",
  "whatsapp",
  "web",
  "wechat",
  "messenger",
  "Channel::Bogus",
  "channel::email",
  "",
  "Channel::",
];
const COLUMNS = [
  ...DEFAULT_COLUMNS,
  "display_name",
  "phone_number_raw",
  "avatar_url",
  "additional_attributes",
  "custom_attributes",
  "custom_attributes.score",
  "custom_attributes.tier",
  "additional_attributes.company_name",
  "custom_attributes.",
  "custom_attributes.\u0000",
  "custom_attributes.=cmd",
  "bogus",
  "name,email",
  `custom_attributes.${"k".repeat(300)}`,
];
const ATTRIBUTE_KEYS = [
  "score",
  "signup",
  "vip",
  "tier",
  "price",
  "company_name",
  "company",
  "city",
  "country",
  "country_code",
  "social_profiles",
  "",
  " ",
  "a.b",
  "a[0]",
  "$where",
  "\u0000",
  "k\u0000",
  "x".repeat(300),
  "😀",
  "=cmd",
  "%",
  "_",
  "created_at",
  "name",
];
const FILTER_KEYS = [
  "name",
  "email",
  "phone_number",
  "identifier",
  "country_code",
  "city",
  "company",
  "labels",
  "created_at",
  "last_activity_at",
  "blocked",
  "score",
  "signup",
  "vip",
  "tier",
  "price",
  "referer",
  "",
  "\u0000",
  "custom_attributes.score",
  "a".repeat(300),
];
const NAMES = ["Alice", "Bob O'Brien", "José Ñúñez", "李小龙", "محمد", "Zoë \u200d", ...FORMULAS.slice(0, 6)];
const BIG_NUMBERS = [1e308, -1e308, 2 ** 64, 2 ** 63, 2 ** 53 + 2, 5e-324, -1, 0, 1.5, 1e20];

const attributeValueArb: fc.Arbitrary<unknown> = weighted<unknown>(
  [3, nastyString()],
  [2, fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))],
  [1, dateArb],
  [1, fc.jsonValue({ maxDepth: 3 })],
  [1, fc.constantFrom(...BIG_NUMBERS)],
);
const attributesArb = fc.dictionary(
  weighted<string>([3, fc.constantFrom(...ATTRIBUTE_KEYS)], [1, fc.string({ unit: "grapheme", maxLength: 12 })]),
  attributeValueArb,
  { maxKeys: 5 },
);
const GARBAGE_BODY_IDS: unknown[] = [
  0,
  -1,
  1.5,
  1e20,
  2 ** 63,
  2 ** 53 + 2,
  1e300,
  -1e300,
  "0",
  "-1",
  "1e3",
  "01",
  "1.0",
  "99999999999999",
  "999999999999999",
  "9999999999999999",
  "",
  " 1",
  "abc",
  null,
  true,
  [1],
  { id: 1 },
];

const pick = <T>(list: T[], fallback: T): fc.Arbitrary<T> =>
  list.length > 0 ? fc.constantFrom(...list) : fc.constant(fallback);

function bodyIdArb(pool: number[], w: World): fc.Arbitrary<unknown> {
  const real = pick(pool, 999_999_999);
  return weighted<unknown>(
    [6, real],
    [3, real.map(String)],
    [1, pick(w.foreignIds, 1)],
    [2, fc.constantFrom(...GARBAGE_BODY_IDS)],
  );
}

function commentTextArb(w: World): fc.Arbitrary<string> {
  return weighted<string>(
    [3, nastyString(100_000)],
    [
      3,
      fc.constantFrom(
        `Hi [@Agent](mention://user/${w.agent.userId}/Agent) ${NASTY[30]}`,
        `[@Admin](mention://user/${w.admin.userId}/Admin) look`,
        `[@Other](mention://user/${w.foreign.userId}/Other)`,
        "[@X](mention://user/999999999999999/X)",
        "[@X](mention://user/abc/X)",
        "[@](mention://user//)",
        "[@a](mention://user/1/a)".repeat(200),
        "[@a](mention://user/00001/a) [@b](mention://user/-1/b)",
      ),
    ],
    [1, fc.constantFrom("x".repeat(100_000), "x".repeat(100_001))],
  );
}

const sortArb = weighted<string>(
  [4, fc.constantFrom(...EXPORT_SORT_KEYS, ...SORT_KEYS.map((k) => `-${k}`))],
  [2, fc.constantFrom("name,email", "-", "", "bogus", "name;DROP", "display_name", "+created_at", "-display_name")],
  [1, nastyString(64)],
);

const searchArb = weighted<string>(
  [2, fc.constantFrom("a", "%", "_", "\\", "'", '"', "a%", "%a%", "\\%", "fuzz", "+1415", "@example.com", "李", "😀")],
  [3, nastyString(1024)],
);

const filterValueArb: fc.Arbitrary<unknown> = weighted<unknown>(
  [3, nastyString()],
  [2, dateArb],
  [
    2,
    fc.constantFrom<unknown>(
      1e10,
      -1e10,
      1e308,
      "1e400",
      "NaN",
      "Infinity",
      "true",
      true,
      false,
      "yes",
      73_000,
      -5,
      {},
      [],
    ),
  ],
  [1, fc.integer()],
);

/** Values a property of this name should usually get: real ids, plausible fields, hostile twins. */
function bodyHint(name: string, w: World): fc.Arbitrary<unknown> | undefined {
  const p = w.pools;
  switch (name) {
    case "contact_id":
    case "base_contact_id":
    case "mergee_contact_id":
    case "id":
      return bodyIdArb(p.contacts, w);
    case "inbox_id":
      return bodyIdArb(p.inboxes, w);
    case "assignee_id":
      return weighted<unknown>([4, bodyIdArb(p.users, w)], [1, fc.constant(null)]);
    case "ids":
    case "notification_id":
      // The administrator's own first: most requests act as the administrator.
      return weighted<unknown>([3, bodyIdArb(p.adminNotifications, w)], [1, bodyIdArb(p.notifications, w)]);
    case "mentions":
      return bodyIdArb(p.users, w).map((id) => (typeof id === "number" ? String(id) : id));
    case "email":
      return weighted<string>([1, pick(p.emails, "a@b.co")], [4, emailArb]);
    case "phone_number":
    case "phone":
      return weighted<string>([1, pick(p.phones, "+14155550123")], [4, phoneArb]);
    case "identifier":
      return weighted<string>([1, pick(p.identifiers, "x")], [3, nastyString(1024)]);
    case "url":
    case "avatar_url":
      return weighted<string>(
        [2, fc.constantFrom(...VALID_URLS)],
        [2, fc.constantFrom(...URLS, ...p.avatarKeys.map((k) => `/avatars/${k}`))],
        [1, nastyString(4096)],
      );
    case "events":
      return weighted<string>(
        [3, fc.constantFrom("*", "contact.created")],
        [3, fc.constantFrom(...EVENTS)],
        [1, nastyString(64)],
      );
    case "channel_type":
      return weighted<string>([3, fc.constantFrom(...CHANNELS)], [1, nastyString(64)]);
    case "labels":
      return labelArb;
    case "columns":
      return weighted<string>([3, fc.constantFrom(...COLUMNS)], [1, nastyString(4096)]);
    case "text":
    case "content":
      return commentTextArb(w);
    case "snoozed_until":
      return dateArb;
    case "q":
      return searchArb;
    case "sort":
      return sortArb;
    case "name":
    case "display_name":
    case "first_name":
    case "last_name":
      return weighted<string>([2, fc.constantFrom(...NAMES)], [3, nastyString(1024)]);
    case "area_code":
      return fc.constantFrom("852", "+852", "1", "", "abc", "٨٥٢", "0".repeat(100));
    case "attribute_key":
      return weighted<string>([4, fc.constantFrom(...FILTER_KEYS)], [1, nastyString()]);
    case "filter_operator":
      return weighted<string>(
        [4, fc.constantFrom(...FILTER_OPERATORS, "EQUAL_TO", "", "like", "between")],
        [1, nastyString()],
      );
    case "values":
      return weighted<unknown>(
        [4, fc.array(filterValueArb, { maxLength: 3 })],
        [1, filterValueArb],
        [1, fc.constant(null)],
      );
    case "query_operator":
      return weighted<unknown>(
        [4, fc.constantFrom("and", "or", "AND", "OR", "xor", "", null, "and;")],
        [1, nastyString()],
      );
    default:
      return undefined;
  }
}

function resolveRef(schema: Schema, openapi: Schema | undefined): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const name = ref.replace(/^#\/components\/schemas\//, "").replace(/#$/, "");
  return openapi?.components?.schemas?.[name] ?? {};
}

/** Values for a JSON schema, mostly valid, each property preferring its name's hint. */
function valueArb(schema: Schema, w: World, name: string, depth: number, openapi?: Schema): fc.Arbitrary<unknown> {
  const resolved = resolveRef(schema, openapi);
  const scalar = resolved.type !== "object" && resolved.type !== "array";
  const hint = scalar ? bodyHint(name, w) : undefined;
  const derived = derive(resolved, w, name, depth, openapi);
  return hint ? weighted<unknown>([4, hint], [1, derived]) : derived;
}

function derive(schema: Schema, w: World, name: string, depth: number, openapi?: Schema): fc.Arbitrary<unknown> {
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) return fc.oneof(...options.map((s: Schema) => valueArb(s, w, name, depth, openapi)));
  if (Array.isArray(schema.enum)) return weighted<unknown>([9, fc.constantFrom(...schema.enum)], [1, nastyString(64)]);
  if ("const" in schema) return fc.constant(schema.const);
  switch (schema.type) {
    case "string":
      if (schema.format === "date-time") return dateArb;
      if (typeof schema.pattern === "string") {
        return weighted<string>([4, fc.stringMatching(new RegExp(schema.pattern))], [1, nastyString()]);
      }
      return nastyString(schema.maxLength);
    case "integer":
    case "number": {
      const min = Math.max(schema.minimum ?? -1_000_000, -1_000_000);
      const max = Math.min(schema.maximum ?? 1_000_000, 1_000_000);
      const edges = [schema.minimum, schema.maximum, (schema.minimum ?? 0) - 1, (schema.maximum ?? 0) + 1, 0, -1];
      return weighted<unknown>(
        [5, fc.integer({ min: Math.min(min, max), max })],
        [1, fc.constantFrom(...edges.filter((e) => e !== undefined), ...BIG_NUMBERS)],
      );
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(valueArb(schema.items ?? {}, w, name, depth + 1, openapi), {
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case "object": {
      const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
      if (props.length === 0) return schema.additionalProperties === false ? fc.constant({}) : attributesArb;
      if (depth > 5) return fc.constant({});
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of props) model[key] = valueArb(sub, w, key, depth + 1, openapi);
      return fc.record(model, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return attributeValueArb;
  }
}

// ---- Whole bodies ------------------------------------------------------------------------------

const HUGE_UNITS = ["x", "é", "😀", "%", "\u200d", "\u0000", "'", "\\", "e\u0301", "\ud800"];
const HUGE_SIZES = [70_000, 150_000, 230_000, 300_000, 420_000];
const DEEP_LEVELS = [64, 1000, 5000, 10_000, 20_000];

function deepText(levels: number, arrays: boolean): string {
  return arrays ? `${"[".repeat(levels)}${"]".repeat(levels)}` : `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
}

/** Expands the huge/deep placeholders of a JSON text (the first few: a body stays under a few MB). */
function materialize(text: string): string {
  let budget = 4;
  return text
    .replace(/"@@HUGE_(\d+)_(\d+)@@"/g, (_, size: string, unit: string) => {
      if (budget-- <= 0) return '"x"';
      const u = HUGE_UNITS[Number(unit)] ?? "x";
      return JSON.stringify(u.repeat(Math.ceil(Number(size) / u.length)));
    })
    .replace(/"@@DEEP_(\d+)_([01])@@"/g, (_, levels: string, kind: string) =>
      budget-- <= 0 ? "1" : deepText(Number(levels), kind === "1"),
    );
}

const MUTATIONS = [
  "wrong-type",
  "delete",
  "unknown-key",
  "null",
  "huge",
  "deep",
  "nasty",
  "number",
  "wrap",
  "empty",
  "many",
] as const;

interface Mutation {
  at: number;
  kind: (typeof MUTATIONS)[number];
  value: unknown;
  text: string;
  key: string;
  size: number;
  unit: number;
  levels: number;
  arrays: boolean;
  number: number;
}

const wrongTypeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  nastyString(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom<unknown>(1e20, -1, 0, 1.5, "true", "1", "null", "", [], {}),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom(...MUTATIONS),
  value: wrongTypeArb,
  text: nastyString(),
  key: weighted<string>([2, fc.constantFrom("unexpected", "__proto", "$set", "", "😀", "a.b")], [1, nastyString()]),
  size: fc.constantFrom(...HUGE_SIZES),
  unit: fc.integer({ min: 0, max: HUGE_UNITS.length - 1 }),
  levels: fc.constantFrom(...DEEP_LEVELS),
  arrays: fc.boolean(),
  number: fc.constantFrom(...BIG_NUMBERS),
});

/** Applies mutations at positions picked among every slot of the value (the root included). */
function mutate(value: unknown, mutations: Mutation[]): unknown {
  const root: Record<string, unknown> = { v: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  for (const m of mutations) {
    const slots: Array<[any, string | number]> = [];
    const visit = (container: any, key: string | number, depth: number) => {
      slots.push([container, key]);
      const inner = container[key];
      if (depth > 6 || slots.length > 200 || inner === null || typeof inner !== "object") return;
      if (Array.isArray(inner)) for (let i = 0; i < inner.length; i++) visit(inner, i, depth + 1);
      else for (const k of Object.keys(inner)) visit(inner, k, depth + 1);
    };
    visit(root, "v", 0);
    const [container, key] = slots[m.at % slots.length]!;
    const current = container[key];
    switch (m.kind) {
      case "wrong-type":
        container[key] = m.value;
        break;
      case "delete":
        if (container === root) container[key] = {};
        else if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key];
        break;
      case "unknown-key":
        if (isObject(current)) current[m.key] = m.value;
        else container[key] = { [m.key]: m.value };
        break;
      case "null":
        container[key] = null;
        break;
      case "huge":
        container[key] = `@@HUGE_${m.size}_${m.unit}@@`;
        break;
      case "deep":
        container[key] = `@@DEEP_${m.levels}_${m.arrays ? 1 : 0}@@`;
        break;
      case "nasty":
        container[key] = m.text;
        break;
      case "number":
        container[key] = m.number;
        break;
      case "wrap":
        container[key] = [current];
        break;
      case "empty":
        container[key] = Array.isArray(current) ? [] : isObject(current) ? {} : "";
        break;
      case "many": {
        // Past any maxItems; the copies stay small (a huge or deep one would be expanded 1001 times).
        const text = JSON.stringify(Array.isArray(current) ? current[0] : current) ?? "null";
        const small = text.length <= 64 && !text.includes("@@");
        container[key] = Array.from({ length: 1001 }, () => (small ? JSON.parse(text) : "x"));
        break;
      }
    }
  }
  return root.v;
}

const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/vnd.api+json",
  "application/json;charset=UTF-8",
];
const WRONG_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=x",
  "application/xml",
  "text/json",
  "application/jsonp",
  "application/merge-patch+json",
  "",
  "*/*",
  "application/",
  "json",
  "application/json, text/plain",
  "application/octet-stream",
  "text/csv",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
];
const MALFORMED = [
  "{",
  "}",
  "[",
  '{"a":}',
  "{'a':1}",
  '{"a":1,}',
  "[1,2,]",
  "NaN",
  "Infinity",
  "undefined",
  '{"a":1}{"b":2}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"name":"\\ud800"}',
  '{"name":"\\udfff\\ud800"}',
  '{"name":"\\u0000"}',
  '{"custom_attributes":{"k":"\\u0000"}}',
  '{"custom_attributes":{"\\u0000":1}}',
  '{"additional_attributes":{"city":"\\ud800"}}',
  "\ufeff{}",
  "/* comment */ {}",
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"name":"a","name":"b"}',
  "1e999",
  '"just a string"',
  "null",
  "true",
  "[]",
  `{"a":${"1".repeat(1000)}}`,
  " ",
  "\t\n",
  '{"a":"\n"}',
  "\u0000",
  '{"a":1}\u0000',
  '{"a":tru}',
  '{"a":-}',
  '{"a":1e}',
  '{"a":"\\u12"}',
];
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x00],
  [0xc3],
];

function jsonPayloadArb(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Payload> {
  const json = (value: unknown, note: string, contentType = "application/json"): Payload => ({
    body: JSON.stringify(value) ?? "",
    contentType,
    note,
  });
  return weighted<Payload>(
    [40, fc.tuple(valid, fc.constantFrom(...JSON_TYPES)).map(([v, type]) => json(v, "schema-valid-ish", type))],
    [
      24,
      fc
        .tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
        .map(([v, ms]) => json(mutate(v, ms), `mutated: ${ms.map((m) => m.kind).join("+")}`)),
    ],
    [5, fc.jsonValue().map((v) => json(v, "arbitrary JSON"))],
    [
      8,
      weighted<Payload>(
        [
          3,
          fc
            .constantFrom(...MALFORMED)
            .map((text) => ({ body: text, contentType: "application/json", note: "malformed or tricky JSON text" })),
        ],
        [
          2,
          fc.tuple(valid, fc.nat()).map(([v, n]) => {
            const text = JSON.stringify(v) ?? "";
            return {
              body: text.slice(0, n % Math.max(1, text.length)),
              contentType: "application/json",
              note: "truncated JSON",
            };
          }),
        ],
      ),
    ],
    [
      5,
      fc.tuple(valid, fc.constantFrom(...BAD_UTF8), fc.nat()).map(([v, bytes, n]) => {
        const object: Record<string, unknown> = isObject(v) ? { ...v } : {};
        const keys = Object.keys(object).filter((k) => typeof object[k] === "string");
        object[keys.length > 0 ? keys[n % keys.length]! : "name"] = "@@BAD_UTF8@@";
        const [before = "", after = ""] = materialize(JSON.stringify(object)).split("@@BAD_UTF8@@");
        return {
          body: Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
          contentType: "application/json",
          note: `invalid UTF-8 ${Buffer.from(bytes).toString("hex")}`,
        };
      }),
    ],
    [
      8,
      fc.tuple(valid, fc.constantFrom(...WRONG_TYPES, "(none)")).map(([v, type]) => ({
        body: Buffer.from(
          type === "application/x-www-form-urlencoded" ? "name=x&email=y%40z" : (JSON.stringify(v) ?? ""),
        ),
        contentType: type === "(none)" ? undefined : type,
        note: `content-type ${type}`,
      })),
    ],
    [
      4,
      fc.constantFrom<Payload>(
        { body: "", contentType: "application/json", note: "empty JSON body" },
        { body: " \n", contentType: "application/json", note: "blank JSON body" },
        { note: "no body" },
        { body: Buffer.alloc(0), note: "empty body, no content-type" },
        { contentType: "application/json", note: "content-type but no body" },
        { body: Buffer.from("{}", "utf16le"), contentType: "application/json", note: "UTF-16 body" },
        { body: Buffer.from('{"name":"Jösé"}', "latin1"), contentType: "application/json", note: "Latin-1 body" },
      ),
    ],
    [
      3,
      fc.tuple(fc.constantFrom(...DEEP_LEVELS), fc.boolean()).map(([levels, arrays]) => ({
        body: `"@@DEEP_${levels}_${arrays ? 1 : 0}@@"`,
        contentType: "application/json",
        note: `whole body nested ${levels} levels`,
      })),
    ],
  );
}

// ---- Multipart ---------------------------------------------------------------------------------

interface Part {
  name: string | Buffer;
  filename?: string | Buffer;
  contentType?: string;
  data: Buffer;
}

function multipartBody(boundary: string, parts: Part[], closing = true): Buffer {
  const chunks: Buffer[] = [];
  const bytes = (value: string | Buffer) => (typeof value === "string" ? Buffer.from(value) : value);
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="`),
      bytes(part.name),
      Buffer.from('"'),
    );
    if (part.filename !== undefined) chunks.push(Buffer.from('; filename="'), bytes(part.filename), Buffer.from('"'));
    chunks.push(Buffer.from("\r\n"));
    if (part.contentType) chunks.push(Buffer.from(`Content-Type: ${part.contentType}\r\n`));
    chunks.push(Buffer.from("\r\n"), part.data, Buffer.from("\r\n"));
  }
  if (closing) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const FILENAMES: Array<string | Buffer> = [
  "photo.png",
  "notes.txt",
  "contacts.csv",
  "../../etc/passwd",
  "../../../../../../etc/passwd",
  "/etc/passwd",
  "..\\..\\windows\\system32\\config\\sam",
  "C:\\Windows\\win.ini",
  "....//....//etc/passwd",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..%2F..%2Fetc%2Fpasswd",
  "\u202egnp.exe",
  "😀.png",
  "",
  ".",
  "..",
  ".htaccess",
  "CON",
  "aux.png",
  `${"a".repeat(300)}.png`,
  "x%22; name=%22file",
  "name%0D%0AContent-Type: text/html",
  'quote"inside.txt',
  "tab\tname.txt",
  "null\u0000byte.png",
  "file.png\u0000.exe",
  Buffer.from([0x66, 0x00, 0x2e, 0x70, 0x6e, 0x67]),
  Buffer.from([0xff, 0xfe, 0x2e, 0x70, 0x6e, 0x67]),
  Buffer.from("café.png", "latin1"),
  "ファイル.png",
  " leading-space.txt",
  "trailing-dot.txt.",
  "a/b/c.txt",
  "\\\\server\\share\\x.txt",
  "<script>.png",
  "=cmd|' /C calc'!A0.csv",
  "evil\r\nContent-Type: text/html\r\n\r\n.txt",
];
const DECLARED_TYPES = [
  "image/png",
  "image/jpeg",
  "text/plain",
  "application/octet-stream",
  "text/csv",
  "image/svg+xml",
  "text/html",
  "",
  "application/x-msdownload",
  "image/png; charset=utf-8",
  "../../../etc/passwd",
];
const CSV_HEADERS = [
  "name",
  "email",
  "phone",
  "phone_number",
  "identifier",
  "labels",
  "company",
  "city",
  "country",
  "first_name",
  "last_name",
  "custom_attributes.score",
  "score",
  "tier",
  "id",
  "Name",
  " EMAIL ",
  "",
  "=cmd",
  "email",
];

const csvArb: fc.Arbitrary<Buffer> = fc
  .record({
    header: fc.array(weighted<string>([5, fc.constantFrom(...CSV_HEADERS)], [1, nastyString(40)]), { maxLength: 7 }),
    rows: fc.array(
      fc.array(
        weighted<string>(
          [3, fc.constantFrom(...FORMULAS, "+14155550123", "-42")],
          [3, nastyString(64)],
          [1, emailArb],
          [1, phoneArb],
          [1, labelArb],
          [1, fc.constant("")],
        ),
        { maxLength: 8 },
      ),
      { maxLength: 25 },
    ),
    eol: fc.constantFrom("\r\n", "\n", "\r"),
    bom: fc.boolean(),
    quoting: weighted<string>([6, fc.constant("proper")], [1, fc.constant("none")], [1, fc.constant("broken")]),
    encoding: weighted<BufferEncoding>(
      [8, fc.constant("utf8")],
      [1, fc.constant("latin1")],
      [1, fc.constant("utf16le")],
    ),
  })
  .map(({ header, rows, eol, bom, quoting, encoding }) => {
    const quote = (cell: string, i: number) => {
      if (quoting === "none") return cell;
      if (quoting === "broken" && i % 3 === 0) return `"${cell}`;
      return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
    };
    const lines = [header, ...rows].map((row) => row.map(quote).join(","));
    const text = `${bom ? "\ufeff" : ""}${lines.join(eol)}${rows.length > 0 ? eol : ""}`;
    return Buffer.from(text, encoding);
  });

const imageArb = fc.constantFrom(...Object.values(IMAGES).map((image) => Buffer.from(image)));

function paddedImage(size: number): Buffer {
  const png = IMAGES["image/png"];
  return Buffer.concat([png, Buffer.alloc(Math.max(0, size - png.length), 0x41)]);
}

function binaryArb(limit: number): fc.Arbitrary<Buffer> {
  return weighted<Buffer>(
    [
      3,
      fc.constantFrom(
        Buffer.from("hello world\n"),
        Buffer.from("<html><script>alert(1)</script></html>"),
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        Buffer.from("GIF89a<script>alert(1)</script>"),
        Buffer.concat([IMAGES["image/png"].subarray(0, 16), Buffer.from("truncated")]),
        Buffer.alloc(0),
        Buffer.from("%PDF-1.4\n%\u00e2\u00e3\n", "latin1"),
        Buffer.from("MZ\u0090\u0000", "latin1"),
        Buffer.from("PK\u0003\u0004", "latin1"),
        Buffer.from([0, 0, 0]),
      ),
    ],
    [2, fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes))],
    [2, fc.constantFrom(limit - 1, limit, limit + 1, limit * 2, limit * 4).map(paddedImage)],
  );
}

const IMPORT_FIELDS: Record<string, string[]> = {
  dry_run: ["true", "false", "TRUE", "1", "yes", "", "maybe"],
  unknown_columns: ["ignore", "custom_attributes", "bogus", ""],
  match: ["identifier,email,phone", "email", "phone,email", "identifier", "bogus", "", "email,email", "phone_number"],
};

function multipartArb(kind: UploadKind): fc.Arbitrary<Payload> {
  const limit =
    kind === "image" ? LIMITS.maxAvatarBytes : kind === "file" ? LIMITS.maxFileBytes : LIMITS.maxImportBytes;
  const data =
    kind === "import"
      ? weighted<Buffer>([6, csvArb], [1, binaryArb(limit)])
      : kind === "image"
        ? weighted<Buffer>([4, imageArb], [3, binaryArb(limit)])
        : weighted<Buffer>([3, binaryArb(limit)], [2, imageArb], [1, csvArb]);
  const field =
    kind === "import"
      ? fc
          .constantFrom(...Object.keys(IMPORT_FIELDS), "foo")
          .chain((name) =>
            weighted<[string, string]>(
              [4, fc.constantFrom(...(IMPORT_FIELDS[name] ?? ["bar"])).map((v) => [name, v] as [string, string])],
              [1, nastyString(2000).map((v) => [name, v] as [string, string])],
            ),
          )
      : fc
          .tuple(fc.constantFrom("note", "name", "file_name"), nastyString())
          .map(([n, v]) => [n, v] as [string, string]);
  return fc
    .record({
      structure: weighted<string>(
        [12, fc.constant("ok")],
        [1, fc.constantFrom("no-file", "two-files", "truncated", "no-closing", "many-parts")],
        [1, fc.constantFrom("big-field", "empty", "garbage", "preamble", "file-first-field-after")],
      ),
      boundary: weighted<string>(
        [10, fc.constant("ok")],
        [1, fc.constantFrom("missing", "mismatch", "quoted", "mixed", "long")],
      ),
      name: weighted<string | Buffer>(
        [10, fc.constant("file")],
        [1, fc.constantFrom<string | Buffer>("upload", "FILE", "file[]", "", Buffer.from("fi\u0000le"), "../file")],
      ),
      filename: fc.constantFrom(...FILENAMES),
      declared: fc.constantFrom(...DECLARED_TYPES),
      data,
      fields: fc.array(field, { maxLength: kind === "import" ? 4 : 2 }),
      fieldsAfter: fc.boolean(),
      cut: fc.nat(),
    })
    .map((plan): Payload => {
      const boundary = plan.boundary === "long" ? "b".repeat(75) : `FuzzBoundary${plan.cut % 100_000}`;
      const file: Part = {
        name: plan.name,
        filename: plan.filename,
        contentType: plan.declared || undefined,
        data: plan.data,
      };
      const fields: Part[] = plan.fields.map(([name, value]) => ({ name, data: Buffer.from(value) }));
      let parts = plan.fieldsAfter ? [file, ...fields] : [...fields, file];
      switch (plan.structure) {
        case "no-file":
          parts = fields.length > 0 ? fields : [{ name: "note", data: Buffer.from("no file here") }];
          break;
        case "two-files":
          parts = [file, { ...file, filename: "second.png" }];
          break;
        case "many-parts":
          parts = [...Array.from({ length: 25 }, (_, i) => ({ name: `f${i}`, data: Buffer.from("v") })), file];
          break;
        case "big-field":
          parts = [{ name: kind === "import" ? "match" : "note", data: Buffer.from("x".repeat(5000)) }, file];
          break;
        case "file-first-field-after":
          parts = [file, { name: "dry_run", data: Buffer.from("true") }, { name: "match", data: Buffer.from("bogus") }];
          break;
      }
      let body = multipartBody(boundary, parts, plan.structure !== "no-closing");
      if (plan.structure === "truncated") body = body.subarray(0, plan.cut % Math.max(1, body.length));
      if (plan.structure === "empty") body = Buffer.alloc(0);
      if (plan.structure === "garbage") body = Buffer.from(`--${boundary}\r\nnot a part\r\n\r\n\u0000\u00ff`);
      if (plan.structure === "preamble") body = Buffer.concat([Buffer.from("preamble text\r\n"), body]);
      const contentType = {
        ok: `multipart/form-data; boundary=${boundary}`,
        missing: "multipart/form-data",
        mismatch: `multipart/form-data; boundary=Other${boundary}`,
        quoted: `multipart/form-data; boundary="${boundary}"`,
        mixed: `multipart/mixed; boundary=${boundary}`,
        long: `multipart/form-data; boundary=${boundary}`,
      }[plan.boundary];
      const name = typeof plan.filename === "string" ? plan.filename : `0x${plan.filename.toString("hex")}`;
      return {
        body,
        contentType,
        note: `multipart ${plan.structure}/${plan.boundary}, file ${excerpt(name, 60)} as ${plan.declared || "(no type)"}, ${plan.data.length} bytes`,
        oversized: plan.data.length > limit || body.length > LIMITS.bodyLimit,
      };
    });
}

// ---- Credentials -------------------------------------------------------------------------------

interface Auth {
  headers: Record<string, string>;
  note: string;
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

function badBasicAuth(w: World): fc.Arbitrary<Auth> {
  const { key, secret, token } = w.admin;
  const variants: Array<[string, Record<string, string>]> = [
    ["no credentials", {}],
    ["Basic without value", { authorization: "Basic" }],
    ["Basic garbage", { authorization: "Basic !!!!" }],
    ["no colon", { authorization: `Basic ${b64("nocolon")}` }],
    ["empty key", { authorization: `Basic ${b64(`:${secret}`)}` }],
    ["wrong secret", { authorization: `Basic ${b64(`${key}:wrong`)}` }],
    ["secret + x", { authorization: `Basic ${b64(`${key}:${secret}x`)}` }],
    ["NUL in secret", { authorization: `Basic ${b64(`${key}:${secret}\u0000`)}` }],
    ["SQL in key", { authorization: `Basic ${b64("' OR '1'='1:x")}` }],
    ["LIKE in key", { authorization: `Basic ${b64("%:_")}` }],
    ["unicode key", { authorization: `Basic ${b64("ключ:秘密😀")}` }],
    ["lone surrogate key", { authorization: `Basic ${b64("\ud800:\udfff")}` }],
    ["Bearer without value", { authorization: "Bearer" }],
    ["Bearer key only", { authorization: `Bearer ${key}` }],
    ["Bearer token + x", { authorization: `Bearer ${token}x` }],
    ["Bearer dots", { authorization: "Bearer ..." }],
    ["Bearer long", { authorization: `Bearer ${"a".repeat(6000)}` }],
    ["Digest", { authorization: 'Digest username="x"' }],
    ["lower-case scheme", { authorization: `basic ${b64(`${key}:${secret}`)}` }],
    ["extra words", { authorization: `Basic ${b64(`${key}:${secret}`)} extra` }],
    ["tab separator", { authorization: `Basic\t${b64(`${key}:${secret}`)}` }],
  ];
  return fc.constantFrom(...variants.map(([note, headers]) => ({ note, headers })));
}

function authArb(face: Face, w: World): fc.Arbitrary<Auth> {
  const { admin, agent, foreign } = w;
  const basic = (c: Credentials, note: string): Auth => ({ headers: { authorization: basicAuth(c) }, note });
  const bearer = (c: Credentials, note: string): Auth => ({ headers: { authorization: `Bearer ${c.token}` }, note });
  const header = (name: string, value: string, note: string): Auth => ({ headers: { [name]: value }, note });
  switch (face) {
    case "native":
    case "livedesk":
      return weighted<Auth>(
        [60, fc.constant(basic(admin, "admin"))],
        [10, fc.constant(bearer(admin, "admin bearer"))],
        [12, fc.constant(basic(agent, "agent"))],
        [3, fc.constant(basic(foreign, "other account's admin"))],
        [15, badBasicAuth(w)],
      );
    case "chatwoot":
      return weighted<Auth>(
        [60, fc.constant(header("api_access_token", admin.token, "admin token"))],
        [10, fc.constant(header("api-access-token", admin.token, "admin token (n8n header)"))],
        [10, fc.constant(header("api_access_token", agent.token, "agent token"))],
        [3, fc.constant(header("api_access_token", foreign.token, "other account's token"))],
        [
          17,
          fc.constantFrom<Auth>(
            { headers: {}, note: "no token" },
            header("api_access_token", "", "empty token"),
            header("api_access_token", `${admin.token}x`, "token + x"),
            header("api_access_token", admin.key, "key only"),
            header("api_access_token", `Bearer ${admin.token}`, "Bearer in token header"),
            header("authorization", `Bearer ${admin.token}`, "Authorization only (ignored)"),
            header("api_access_token", "' OR 1=1 --", "SQL token"),
            header("api_access_token", "x".repeat(4000), "long token"),
            header("api_access_token", `${admin.key}.`, "empty secret"),
            header("api_access_token", `.${admin.secret}`, "empty key"),
            { headers: { api_access_token: admin.token, "api-access-token": "wrong" }, note: "both headers" },
          ),
        ],
      );
    case "imbrace": {
      const auth = weighted<Auth>(
        [50, fc.constant(header("x-api-key", admin.token, "admin x-api-key"))],
        [10, fc.constant(header("x-access-token", admin.token, "admin x-access-token"))],
        [10, fc.constant(bearer(admin, "admin bearer"))],
        [5, fc.constant(basic(admin, "admin basic"))],
        [8, fc.constant(header("x-api-key", agent.token, "agent x-api-key"))],
        [2, fc.constant(header("x-api-key", foreign.token, "other account's token"))],
        [
          10,
          fc.constantFrom<Auth>(
            { headers: {}, note: "no credentials" },
            header("x-api-key", " ", "blank x-api-key"),
            header("x-api-key", `${admin.token}x`, "token + x"),
            header("x-api-key", admin.key, "key only"),
            header("x-access-token", "%_%", "LIKE token"),
            { headers: { "x-api-key": "wrong.wrong", authorization: basicAuth(admin) }, note: "bad key + good basic" },
          ),
        ],
      );
      const organization = weighted<Record<string, string>>(
        [17, fc.constant({})],
        [2, fc.constant({ "x-organization-id": String(admin.accountId) })],
        [
          1,
          fc.constantFrom("999999999", "abc", "0", String(foreign.accountId)).map((v) => ({ "x-organization-id": v })),
        ],
      );
      return fc.tuple(auth, organization).map(([a, org]) => ({
        headers: { ...a.headers, ...org },
        note: org["x-organization-id"] ? `${a.note}, organization ${org["x-organization-id"]}` : a.note,
      }));
    }
    default:
      return weighted<Auth>([9, fc.constant({ headers: {}, note: "" })], [1, fc.constant(basic(admin, "admin"))]);
  }
}

const extraHeadersArb: fc.Arbitrary<Auth> = weighted<Auth>(
  [30, fc.constant({ headers: {}, note: "" })],
  [
    3,
    fc
      .constantFrom("fuzz-idem-1", "fuzz-idem-2", "fuzz-idem-3", "", " ", "x".repeat(300), "k".repeat(5000), "ключ")
      .map((key) => ({ headers: { "idempotency-key": key }, note: "idempotency-key" })),
  ],
  [
    2,
    fc
      .tuple(
        fc.constantFrom("if-match", "if-none-match"),
        fc.constantFrom("*", '"v1"', 'W/"v1"', '""', "garbage", '"a", "b"', ",,,", `"${"x".repeat(2000)}"`),
      )
      .map(([name, tag]) => ({ headers: { [name]: tag }, note: name })),
  ],
  [
    1,
    fc
      .constantFrom("valid-request-id-123", "short", "x".repeat(200), "bad id with spaces", "../../x")
      .map((id) => ({ headers: { "x-request-id": id }, note: "x-request-id" })),
  ],
  [
    1,
    fc
      .constantFrom("gzip", "deflate", "br", "identity", "bogus")
      .map((encoding) => ({ headers: { "content-encoding": encoding }, note: `content-encoding ${encoding}` })),
  ],
  [
    1,
    fc
      .constantFrom("0", "5", "999999999999999", "9999999999999999", "abc", "-1")
      .map((id) => ({ headers: { "last-event-id": id }, note: "last-event-id" })),
  ],
  [
    1,
    fc.constantFrom("text/csv", "application/xml", "*/*", "").map((a) => ({ headers: { accept: a }, note: "accept" })),
  ],
);

/** Header values as fetch can send them (Latin-1, no CR/LF/NUL). */
function headerSafe(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = value.replace(/[^\t\x20-\x7e]/g, "?");
  return out;
}

// ---- Paths and query strings -------------------------------------------------------------------

/** UTF-8 percent-encoding that also encodes lone surrogates (as the WTF-8 bytes no decoder accepts). */
function pct(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}

const GARBAGE_PATH = [
  "0",
  "-1",
  "01",
  "1.0",
  "1e3",
  " 1",
  "+1",
  "0x1F",
  "999999999999999",
  "9999999999999999",
  "18446744073709551616",
  "NaN",
  "null",
  "me",
  "\u0000",
  "1\u0000",
  "%",
  "_",
  "\\",
  "'",
  "' OR '1'='1",
  '";--',
  "..",
  "../../etc/passwd",
  "..\\..\\win.ini",
  "١٢٣",
  "１２３",
  "1\u200b",
  "\u202e1",
  "😀",
  "e\u0301",
  "\ud800",
  "x".repeat(65),
  "9".repeat(201),
  "con_abc123",
  "",
];
const PRE_ENCODED = [
  "%zz",
  "%",
  "%0",
  "%C0%AF",
  "%ED%A0%80",
  "%FF%FE",
  "%E0%A4%A",
  "%2e%2e",
  "%2F",
  "%00",
  "1%00",
  "%u0000",
];

const POOL_OF_SEGMENT: Record<string, keyof Pools | "account"> = {
  contacts: "contacts",
  contact: "contacts",
  inboxes: "inboxes",
  conversations: "conversations",
  conversations_activities: "conversations",
  users: "users",
  followers: "users",
  webhooks: "webhooks",
  deliveries: "deliveries",
  files: "files",
  comments: "comments",
  notes: "comments",
  notifications: "adminNotifications",
  imports: "imports",
  exports: "exports",
  api_keys: "apiKeys",
  avatars: "avatarKeys",
  accounts: "account",
};

/** Each path parameter's pool, from the static segment before it (contacts/:id → contacts). */
function paramPools(url: string): Array<[string, keyof Pools | "account" | undefined]> {
  const segments = url.split("/");
  const out: Array<[string, keyof Pools | "account" | undefined]> = [];
  segments.forEach((segment, i) => {
    if (segment.startsWith(":")) out.push([segment.slice(1), POOL_OF_SEGMENT[segments[i - 1] ?? ""]]);
  });
  return out;
}

function realValues(pool: keyof Pools | "account" | undefined, w: World): string[] {
  if (pool === undefined) return [];
  if (pool === "account") return [String(w.admin.accountId)];
  const values = w.pools[pool] as unknown[];
  return values.map((v) => String(Array.isArray(v) ? v[1] : v));
}

function paramsArb(spec: RouteSpec, w: World): fc.Arbitrary<Record<string, string>> {
  const pools = paramPools(spec.url);
  if (pools.length === 0) return fc.constant({});
  const garbage = weighted<string>(
    [3, fc.constantFrom(...GARBAGE_PATH).map(pct)],
    [1, fc.constantFrom(...PRE_ENCODED)],
    [1, nastyString(80).map(pct)],
  );
  const each = pools.map(([name, pool]) => {
    const real = realValues(pool, w);
    const foreign = pool === "account" ? [String(w.foreign.accountId)] : w.foreignIds.map(String);
    const entries: Array<[number, fc.Arbitrary<string>]> = [
      [1, pick(foreign, "1")],
      [3, garbage],
    ];
    if (real.length > 0) entries.push([14, fc.constantFrom(...real)]);
    if (name === "userId") entries.push([4, fc.constant("me")]);
    return weighted(...entries);
  });
  const pairIndex = pools.findIndex(([, pool]) => pool === "files" || pool === "comments" || pool === "deliveries");
  return fc.tuple(fc.tuple(...each), fc.nat(), fc.integer({ min: 0, max: 9 })).map(([values, n, coin]) => {
    const out: Record<string, string> = {};
    pools.forEach(([name], i) => {
      out[name] = values[i]!;
    });
    for (const [name, pool] of pools) {
      // Never aim a key revocation at the keys the fuzzing itself uses.
      const value = out[name] ?? "";
      if (pool === "apiKeys" && /^\d+$/.test(value) && !w.pools.apiKeys.includes(Number(value))) {
        out[name] = value === String(w.foreign.keyId) ? value : "999999999999999";
      }
    }
    if (pairIndex > 0 && coin < 6) {
      // A child id with its own parent, so that the nested route can find it.
      const list = w.pools[pools[pairIndex]![1] as "files" | "comments" | "deliveries"];
      const pair = list[n % Math.max(1, list.length)];
      if (pair) {
        out[pools[pairIndex]![0]] = String(pair[1]);
        out[pools[pairIndex - 1]![0]] = String(pair[0]);
      }
    }
    return out;
  });
}

function cursorArb(w: World): fc.Arbitrary<string> {
  const forged = fc
    .tuple(
      fc.constantFrom<unknown>(...SORT_KEYS, "bogus", 1),
      fc.constantFrom<unknown>("asc", "desc", "up", null),
      weighted<unknown>(
        [1, fc.constant(null)],
        [2, nastyString()],
        [2, dateArb],
        [1, fc.constantFrom("", "1e400", "-1", "NaN", "x".repeat(1025))],
      ),
      weighted<unknown>(
        [3, fc.integer({ min: 1, max: 1000 })],
        [1, fc.constantFrom(0, -1, 9_007_199_254_740_991, 1.5, "1")],
      ),
    )
    .map((payload) => Buffer.from(JSON.stringify(payload)).toString("base64url"));
  return weighted<string>(
    [2, pick(w.pools.cursors, "e30")],
    [4, forged],
    [
      1,
      fc.constantFrom(
        "",
        "!!!",
        "e30",
        Buffer.from("[]").toString("base64url"),
        Buffer.from("null").toString("base64url"),
        "a".repeat(2048),
        "a".repeat(2049),
      ),
    ],
  );
}

const intText = (min = 0, max = 1000): fc.Arbitrary<string> =>
  weighted<string>(
    [6, fc.integer({ min, max: Math.min(max, 1_000_000) }).map(String)],
    [
      3,
      fc.constantFrom(
        String(min - 1),
        String(max + 1),
        "0",
        "-1",
        "1.5",
        "1e3",
        "99999999999999999999",
        "abc",
        "",
        " 1",
        "0x10",
        "١",
        "+5",
        "Infinity",
        "NaN",
        "2x",
      ),
    ],
  );
const boolText = fc.constantFrom("true", "false", "1", "0", "yes", "TRUE", "", "null", "tru");

/** Text values for a query parameter of this name and schema. */
function queryScalarArb(name: string, schema: Schema, w: World): fc.Arbitrary<string> {
  const p = w.pools;
  const id = (pool: number[]) =>
    weighted<string>([4, pick(pool, 1).map(String)], [1, fc.constantFrom(...GARBAGE_PATH)]);
  let hinted: fc.Arbitrary<string> | undefined;
  switch (name) {
    case "q":
      hinted = searchArb;
      break;
    case "cursor":
      hinted = cursorArb(w);
      break;
    case "labels":
    case "labels[]":
      hinted = weighted<string>([3, labelArb], [1, fc.constant("vip,lead-1")]);
      break;
    case "columns":
      hinted = bodyHint("columns", w) as fc.Arbitrary<string>;
      break;
    case "channel_types":
      hinted = fc.constantFrom(...CHANNELS, "whatsapp,web");
      break;
    case "status":
      hinted = fc.constantFrom(
        "open",
        "pending",
        "resolved",
        "snoozed",
        "OPEN",
        "closed",
        "",
        "open,pending",
        "failed",
      );
      break;
    case "contact_id":
      hinted = id(p.contacts);
      break;
    case "inbox_id":
      hinted = id(p.inboxes);
      break;
    case "assignee_id":
      hinted = id(p.users);
      break;
    case "sort":
      hinted = sortArb;
      break;
    case "direction":
      hinted = fc.constantFrom("asc", "desc", "ASC", "up", "");
      break;
    case "email":
    case "phone_number":
    case "identifier":
      hinted = bodyHint(name, w) as fc.Arbitrary<string>;
      break;
    case "last_event_id":
      hinted = fc.constantFrom("0", "1", "999999999999999", "9999999999999999", "-1", "abc", " 5 ", "");
      break;
    case "page":
    case "page_size":
      hinted = intText(1, 300);
      break;
    case "limit":
    case "skip":
      hinted = intText(schema.minimum ?? 0, schema.maximum ?? 10_000_000);
      break;
  }
  const item = schema.type === "array" ? (schema.items ?? {}) : schema;
  const derived =
    item.type === "integer" || item.type === "number"
      ? intText(item.minimum ?? -10, item.maximum ?? 1000)
      : item.type === "boolean"
        ? boolText
        : Array.isArray(item.enum)
          ? fc.constantFrom(...(item.enum as string[]).map(String))
          : nastyString(item.maxLength);
  return weighted<string>([4, hinted ?? derived], [1, derived], [1, nastyString(item.maxLength)]);
}

/** A query string (without "?"): schema-driven pairs, duplicates, unknown keys and broken encodings. */
function queryArb(schema: Schema | undefined, w: World): fc.Arbitrary<string> {
  const props = Object.entries((schema?.properties ?? {}) as Record<string, Schema>);
  const required = new Set<string>((schema?.required ?? []) as string[]);
  const pairsArb = props.map(([name, propSchema]) => {
    const one = queryScalarArb(name, propSchema, w);
    const values =
      propSchema.type === "array"
        ? weighted<string[]>(
            [3, fc.array(one, { minLength: 1, maxLength: 3 })],
            [1, fc.array(one, { maxLength: 3 }).map((v) => [v.join(",")])],
          )
        : weighted<string[]>([12, one.map((v) => [v])], [1, fc.array(one, { minLength: 2, maxLength: 3 })]);
    return required.has(name)
      ? weighted<string[] | null>([9, values], [1, fc.constant(null)])
      : weighted<string[] | null>([1, values], [1, fc.constant(null)]);
  });
  const extras = weighted<Array<[string, string]>>(
    [8, fc.constant([])],
    [
      2,
      fc.array(
        fc.tuple(
          weighted<string>(
            [2, fc.constantFrom("unknown", "limit", "q", "a[b]", "__proto__", "", "%00")],
            [1, nastyString(20)],
          ),
          nastyString(),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ],
  );
  const raw = weighted<string>(
    [12, fc.constant("")],
    [
      1,
      fc.constantFrom("&&", "=", "a", "%zz", "%", "a=%ED%A0%80", "a[]=1&a[]=2", "q=%00", "limit=1&limit=2", "x=1;y=2"),
    ],
  );
  return fc.tuple(fc.tuple(...pairsArb), extras, raw).map(([values, extra, rawTail]) => {
    const parts: string[] = [];
    props.forEach(([name], i) => {
      for (const value of values[i] ?? []) parts.push(`${pct(name)}=${pct(value)}`);
    });
    for (const [name, value] of extra) parts.push(`${pct(name)}=${pct(value)}`);
    if (rawTail) parts.push(rawTail);
    return parts.join("&");
  });
}

// ---- Routes ------------------------------------------------------------------------------------

const UPLOADS: Record<string, UploadKind> = {
  "POST /v1/contacts/:id/files": "file",
  "PUT /v1/contacts/:id/avatar": "image",
  "POST /v1/uploads": "image",
  "POST /v1/imports": "import",
  "POST /channel-service/v1/contacts/_fileupload": "image",
};

const CW = "/api/v1/accounts/:account_id";
const IB = "/channel-service/v1";
const LIVEDESK_QUERY: Schema = {
  type: "object",
  properties: {
    page: { type: "integer", minimum: 1, maximum: 1_000_000 },
    page_size: { type: "integer", minimum: 1, maximum: 200 },
    q: { type: "string", maxLength: 200 },
    labels: { type: "array", items: { type: "string", maxLength: 255 }, maxItems: 100 },
    "labels[]": { type: "array", items: { type: "string", maxLength: 255 }, maxItems: 100 },
    include_contact_inboxes: { type: "boolean" },
    sort: { type: "string", enum: [...SORT_KEYS] },
    direction: { type: "string", enum: ["asc", "desc"] },
  },
};

/** The compatibility faces' request schemas (hidden from the OpenAPI document). */
const COMPAT: Record<string, { query?: Schema; body?: Schema }> = {
  [`GET ${CW}/contacts`]: { query: chatwoot.ListQuery },
  [`GET ${CW}/contacts/search`]: { query: chatwoot.SearchQuery },
  [`GET ${CW}/contacts/:id`]: { query: chatwoot.ShowQuery },
  [`POST ${CW}/contacts`]: { body: chatwoot.ContactCreateBody },
  [`PUT ${CW}/contacts/:id`]: { query: chatwoot.ShowQuery, body: chatwoot.ContactUpdateBody },
  [`PATCH ${CW}/contacts/:id`]: { query: chatwoot.ShowQuery, body: chatwoot.ContactUpdateBody },
  [`DELETE ${CW}/contacts/:id`]: {},
  [`POST ${CW}/contacts/filter`]: { query: chatwoot.PageQuery, body: chatwoot.FilterBody },
  [`POST ${CW}/contacts/:id/destroy_custom_attributes`]: { body: chatwoot.CustomAttributeKeysBody },
  [`DELETE ${CW}/contacts/:id/avatar`]: {},
  [`POST ${CW}/contacts/:id/contact_inboxes`]: { body: chatwoot.ContactInboxBody },
  [`GET ${CW}/contacts/:id/contactable_inboxes`]: {},
  [`GET ${CW}/contacts/:id/conversations`]: {},
  [`GET ${CW}/contacts/:id/labels`]: {},
  [`POST ${CW}/contacts/:id/labels`]: { body: chatwoot.LabelsBody },
  [`GET ${CW}/contacts/:id/notes`]: {},
  [`POST ${CW}/contacts/:id/notes`]: { body: chatwoot.NoteBody },
  [`GET ${CW}/contacts/:id/notes/:note_id`]: {},
  [`PATCH ${CW}/contacts/:id/notes/:note_id`]: { body: chatwoot.NoteBody },
  [`PUT ${CW}/contacts/:id/notes/:note_id`]: { body: chatwoot.NoteBody },
  [`DELETE ${CW}/contacts/:id/notes/:note_id`]: {},
  [`POST ${CW}/actions/contact_merge`]: { body: chatwoot.MergeBody },
  "GET /api": {},
  "GET /api/v2/accounts/contacts": { query: LIVEDESK_QUERY },
  [`GET ${IB}/contacts`]: { query: imbrace.ContactListQuery },
  [`GET ${IB}/contacts/_search`]: { query: imbrace.SearchQuery },
  [`GET ${IB}/contacts/_export_csv`]: { query: imbrace.ExportQuery },
  [`GET ${IB}/contacts/:id`]: {},
  [`PUT ${IB}/contacts/:id`]: { body: imbrace.ContactUpdate },
  [`GET ${IB}/contacts/:id/conversations`]: { query: imbrace.ChannelPageQuery },
  [`GET ${IB}/contacts/:id/comments`]: { query: imbrace.ChannelPageQuery },
  [`GET ${IB}/contact/:id/files`]: { query: imbrace.PageQuery },
  [`GET ${IB}/contact/:id/files/:fileId/download`]: {},
  [`GET ${IB}/conversations_activities/:id`]: { query: imbrace.PageQuery },
  [`GET ${IB}/notifications`]: { query: imbrace.PageQuery },
  [`PUT ${IB}/notifications/read`]: { body: imbrace.NotificationIds },
  [`DELETE ${IB}/notifications/dismiss`]: { body: imbrace.NotificationIds },
  [`DELETE ${IB}/notifications/dismiss/all`]: {},
  [`POST ${IB}/contacts/_fileupload`]: {},
  "GET /avatars/:key": {},
  "GET /healthz": {},
  "GET /readyz": {},
  "GET /metrics": {},
  "GET /openapi.json": {},
};

/** Every route of the route table with the schemas its inputs are derived from. */
function routeSpecs(routeTable: readonly { method: string; url: string }[], openapi: Schema): RouteSpec[] {
  const native = new Map<string, { query?: Schema; body?: Schema }>();
  for (const [path, operations] of Object.entries((openapi.paths ?? {}) as Record<string, Record<string, any>>)) {
    const url = path.replace(/\{(\w+)\}/g, ":$1");
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = (operation.parameters ?? []) as Array<{
        in: string;
        name: string;
        schema: Schema;
        required?: boolean;
      }>;
      const query = parameters.filter((p) => p.in === "query");
      native.set(`${method.toUpperCase()} ${url}`, {
        query: query.length
          ? {
              type: "object",
              properties: Object.fromEntries(query.map((p) => [p.name, p.schema])),
              required: query.filter((p) => p.required).map((p) => p.name),
            }
          : undefined,
        body: operation.requestBody?.content?.["application/json"]?.schema,
      });
    }
  }
  const seen = new Set<string>();
  const specs: RouteSpec[] = [];
  for (const { method, url } of routeTable) {
    const route = `${method} ${url}`;
    if (method === "HEAD" || url === "/docs" || url.startsWith("/docs/") || seen.has(route)) continue;
    seen.add(route);
    const fromOpenapi = native.get(route);
    const fromFace = COMPAT[route];
    const schemas = fromOpenapi ?? fromFace;
    specs.push({
      method,
      url,
      face: faceOf(url),
      params: paramPools(url).map(([name]) => name),
      query: schemas?.query,
      body: schemas?.body,
      upload: UPLOADS[route],
      source: fromOpenapi ? "openapi" : fromFace ? "face schemas" : "generic",
    });
  }
  return specs;
}

function buildPath(url: string, params: Record<string, string>): string {
  return url
    .split("/")
    .map((segment) => (segment.startsWith(":") ? (params[segment.slice(1)] ?? "1") : segment))
    .join("/");
}

function payloadArb(spec: RouteSpec, w: World, openapi: Schema): fc.Arbitrary<Payload> {
  if (spec.method === "GET") return fc.constant({ note: "" });
  if (spec.upload)
    return weighted<Payload>([17, multipartArb(spec.upload)], [3, jsonPayloadArb(fc.jsonValue({ maxDepth: 2 }))]);
  if (spec.body) return jsonPayloadArb(valueArb(spec.body, w, "", 0, openapi));
  return weighted<Payload>([6, fc.constant({ note: "no body" })], [4, jsonPayloadArb(fc.jsonValue({ maxDepth: 2 }))]);
}

function requestArb(spec: RouteSpec, w: World, openapi: Schema): fc.Arbitrary<FuzzRequest> {
  const route = `${spec.method} ${spec.url}`;
  return fc
    .record({
      auth: authArb(spec.face, w),
      params: paramsArb(spec, w),
      query: queryArb(spec.query, w),
      payload: payloadArb(spec, w, openapi),
      extra: extraHeadersArb,
      idempotent: fc.boolean(),
      variant: weighted<string>(
        [94, fc.constant("")],
        [2, fc.constant("trailing slash")],
        [1, fc.constant("double slash")],
        [1, fc.constant("upper-case prefix")],
        [2, fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")],
      ),
    })
    .map(({ auth, params, query, payload, extra, idempotent, variant }) => {
      let path = buildPath(spec.url, params);
      if (variant === "trailing slash") path += "/";
      if (variant === "double slash") path = `/${path}`;
      if (variant === "upper-case prefix") path = path.replace(/^\/[a-z-]+/, (prefix) => prefix.toUpperCase());
      const method = /^[A-Z]+$/.test(variant) ? variant : spec.method;
      const bodyless = method === "GET";
      const body: Payload = bodyless ? { note: "" } : payload;
      const headers: Record<string, string> = { ...auth.headers, ...extra.headers };
      let extraNote = extra.note;
      if (method === "POST" && idempotent && /nested|deep|huge/.test(payload.note)) {
        // Deep and huge bodies also through the idempotency fingerprint.
        headers["idempotency-key"] = `fuzz-big-${query.length}-${payload.note.length}`;
        extraNote = [extraNote, "idempotency-key"].filter(Boolean).join(", ");
      }
      if (!bodyless && body.contentType !== undefined) headers["content-type"] = body.contentType;
      const notes = [auth.note, bodyless ? "" : payload.note, variant, extraNote].filter(Boolean);
      return {
        route,
        method,
        path: query ? `${path}?${query}` : path,
        headers: headerSafe(headers),
        payload: bodyless ? { note: "" } : payload,
        note: notes.join("; "),
      };
    });
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h | 0;
}

const isDestructive = (spec: RouteSpec) =>
  spec.method === "DELETE" || /merge|batch|dismiss|revoke/.test(spec.url) || spec.url.endsWith("/api_keys/:id");

/** Every route's requests, interleaved, with the ones that delete things last (so real ids stay useful). */
function generate(specs: RouteSpec[], runs: number, w: World, openapi: Schema): FuzzRequest[] {
  const perRoute = specs.map((spec) =>
    fc.sample(requestArb(spec, w, openapi), {
      seed: (SEED ^ hash(`${spec.method} ${spec.url}`)) | 0,
      numRuns: spec.upload ? runs * 3 : runs,
    }),
  );
  const ordered: FuzzRequest[] = [];
  for (const destructive of [false, true]) {
    const lists = perRoute.filter((_, i) => isDestructive(specs[i]!) === destructive);
    const longest = Math.max(0, ...lists.map((l) => l.length));
    for (let i = 0; i < longest; i++) for (const list of lists) if (i < list.length) ordered.push(list[i]!);
  }
  return ordered;
}

// ---- Sending -----------------------------------------------------------------------------------

async function inParallel<T>(items: T[], each: (item: T) => Promise<void>, concurrency = CONCURRENCY): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await each(items[next++]!);
    }),
  );
}

async function send(base: string, phase: string, request: FuzzRequest): Promise<void> {
  const raw = request.payload.body;
  const [routeMethod, routeUrl] = request.route.split(" ");
  const info: RequestInfo = {
    phase,
    // A request sent with another method than its route's is reported under the method it used.
    route: routeMethod === request.method ? request.route : `${request.method} ${routeUrl}`,
    method: request.method,
    path: request.path,
    note: request.note,
    request: excerpt(raw),
  };
  stats.total++;
  bump(stats.byRoute, request.route);
  const started = Date.now();
  try {
    const body = raw === undefined ? undefined : typeof raw === "string" ? Buffer.from(materialize(raw)) : raw;
    const oversized = request.payload.oversized || (body !== undefined && body.length > LIMITS.bodyLimit);
    const face = faceOf(new URL(`http://fuzz.invalid${request.path}`).pathname);
    await sendOnce(base, request, body, oversized, info, face);
  } catch (error) {
    // A bug of this file, not of the server: reported all the same, and the other requests go on.
    findings.push({ ...info, kind: "the fuzzer could not send this", status: null, response: String(error) });
  } finally {
    stats.msByRoute.set(request.route, (stats.msByRoute.get(request.route) ?? 0) + Date.now() - started);
  }
}

async function sendOnce(
  base: string,
  request: FuzzRequest,
  body: Buffer | undefined,
  oversized: boolean | undefined,
  info: RequestInfo,
  face: Face,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ANSWER_WITHIN_MS);
    try {
      const response = await fetch(`${base}${request.path}`, {
        method: request.method,
        headers: request.headers,
        body,
        signal: controller.signal,
        redirect: "manual",
      });
      let bytes = Buffer.alloc(0);
      // The notification stream never ends by itself: its head is the answer.
      if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) await response.body?.cancel();
      else bytes = Buffer.from(await response.arrayBuffer());
      judge(info, face, response.status, (name) => response.headers.get(name), bytes);
      return;
    } catch (error) {
      if (controller.signal.aborted) {
        findings.push({ ...info, kind: `no answer within ${ANSWER_WITHIN_MS} ms`, status: null, response: "" });
        return;
      }
      if (oversized) {
        // Refused before it was all sent: the server may close the connection early.
        stats.closedEarly++;
        return;
      }
      if (attempt === 0) continue;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      findings.push({
        ...info,
        kind: "connection dropped without an answer",
        status: null,
        response: String(cause?.code ?? cause?.message ?? error),
      });
      return;
    } finally {
      clearTimeout(timer);
    }
  }
}

// ---- Raw sockets -------------------------------------------------------------------------------

interface RawAnswer {
  status: number | null;
  headers: Map<string, string>;
  body: Buffer;
  ms: number;
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function parseResponse(buffer: Buffer): {
  status: number | null;
  headers: Map<string, string>;
  body: Buffer;
  complete: boolean;
} {
  let rest = buffer;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(rest.subarray(0, 20).toString("latin1"));
    if (!statusMatch) return { status: null, headers: new Map(), body: Buffer.alloc(0), complete: false };
    const status = Number(statusMatch[1]);
    if (end < 0) return { status, headers: new Map(), body: Buffer.alloc(0), complete: false };
    const lines = rest.subarray(0, end).toString("latin1").split("\r\n").slice(1);
    const headers = new Map(
      lines.map((line) => [
        line.slice(0, line.indexOf(":")).trim().toLowerCase(),
        line.slice(line.indexOf(":") + 1).trim(),
      ]),
    );
    let body = rest.subarray(end + 4);
    if (status < 200) {
      rest = body;
      continue;
    }
    if (headers.get("transfer-encoding")?.includes("chunked")) {
      return { status, headers, body: dechunk(body), complete: body.includes("0\r\n\r\n") };
    }
    const length = headers.get("content-length");
    if (length !== undefined) {
      const complete = body.length >= Number(length);
      body = body.subarray(0, Number(length));
      return { status, headers, body, complete };
    }
    return { status, headers, body, complete: false };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes the chunks (after their delays) and reads the first answer, until complete, closed or timed out. */
function rawExchange(
  url: string,
  chunks: Array<{ data: Buffer; delayMs?: number }>,
  waitMs: number,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let done = false;
    const socket = connect(Number(port), hostname);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { status, headers, body } = parseResponse(Buffer.concat(received));
      resolve({ status, headers, body, ms: Date.now() - started });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        if (chunk.delayMs) await sleep(chunk.delayMs);
        if (done || socket.destroyed) return;
        socket.write(chunk.data);
      }
    });
    socket.on("data", (data) => {
      received.push(data);
      if (parseResponse(Buffer.concat(received)).complete) finish();
    });
    socket.on("close", finish);
    socket.on("error", () => {});
  });
}

function validAuthHeaders(face: Face, w: World): Array<[string, string]> {
  switch (face) {
    case "chatwoot":
      return [["api_access_token", w.admin.token]];
    case "imbrace":
      return [["x-api-key", w.admin.token]];
    case "root":
    case "public":
      return [];
    default:
      return [["Authorization", basicAuth(w.admin)]];
  }
}

const RAW_KINDS = [
  "raw-byte-in-path",
  "raw-byte-in-query",
  "bad-percent-in-path",
  "bad-percent-in-query",
  "nul-in-path",
  "header-with-nul",
  "header-with-raw-bytes",
  "credentials-with-raw-bytes",
  "duplicate-content-length",
  "transfer-encoding-and-content-length",
  "bad-chunk-size",
  "chunked",
  "content-length-too-short",
  "no-host",
  "http-1.0",
  "absolute-uri",
  "huge-header",
  "huge-url",
  "lower-case-method",
  "unknown-method",
  "obs-fold",
  "bare-lf",
  "header-without-colon",
  "space-in-path",
  "backslash-path",
  "dot-segments",
  "double-slashes",
  "body-on-get",
  "expect-continue",
  "pipelined-garbage",
  "invalid-utf8-body",
] as const;
const RAW_BYTES = [[0x00], [0xff], [0x80], [0xc0, 0xaf], [0x7f], [0xed, 0xa0, 0x80], [0xfe, 0xff], [0x01], [0x1b]];

interface RawPlan {
  route: string;
  kind: string;
  path: string;
  bytes: Buffer;
}

function rawPlanArb(specs: RouteSpec[], w: World): fc.Arbitrary<RawPlan> {
  return fc
    .record({
      spec: fc.constantFrom(...specs),
      kind: fc.constantFrom(...RAW_KINDS),
      bad: fc.constantFrom(...RAW_BYTES),
      n: fc.nat(),
    })
    .map(({ spec, kind, bad, n }) => {
      const params: Record<string, string> = {};
      for (const [name, pool] of paramPools(spec.url)) params[name] = realValues(pool, w)[0] ?? "1";
      const path = buildPath(spec.url, params);
      const badBytes = Buffer.from(bad);
      let method = spec.method;
      let version = "HTTP/1.1";
      let eol = "\r\n";
      let target: Buffer = Buffer.from(path);
      let body = method === "GET" ? Buffer.alloc(0) : Buffer.from(spec.upload ? "" : "{}");
      let framed = false;
      let tail = Buffer.alloc(0);
      let headers: Array<[string, string | Buffer]> = [
        ["Host", new URL(w.server.url).host],
        ["Connection", "close"],
        ...validAuthHeaders(faceOf(path), w),
      ];
      if (body.length > 0) headers.push(["Content-Type", "application/json"]);
      const badPercent = PRE_ENCODED[n % PRE_ENCODED.length]!;
      switch (kind) {
        case "raw-byte-in-path":
          target = Buffer.concat([Buffer.from(path), badBytes]);
          break;
        case "raw-byte-in-query":
          target = Buffer.concat([Buffer.from(`${path}?q=`), badBytes]);
          break;
        case "bad-percent-in-path":
          target = Buffer.from(
            spec.params.length > 0
              ? buildPath(spec.url, { ...params, [spec.params.at(-1)!]: badPercent })
              : `${path}/${badPercent}`,
          );
          break;
        case "bad-percent-in-query":
          target = Buffer.from(`${path}?q=${badPercent}&limit=%`);
          break;
        case "nul-in-path":
          target = Buffer.from(
            spec.params.length > 0 ? buildPath(spec.url, { ...params, [spec.params.at(-1)!]: "%00" }) : `${path}%00`,
          );
          break;
        case "header-with-nul":
          headers.push(["X-Fuzz", Buffer.from("a\u0000b")]);
          break;
        case "header-with-raw-bytes":
          headers.push(["X-Fuzz", badBytes]);
          break;
        case "credentials-with-raw-bytes":
          headers = headers.filter(([name]) => !/^(authorization|api_access_token|x-api-key)$/i.test(name));
          headers.push([
            faceOf(path) === "chatwoot"
              ? "api_access_token"
              : faceOf(path) === "imbrace"
                ? "x-api-key"
                : "Authorization",
            Buffer.concat([
              Buffer.from(faceOf(path) === "native" ? "Basic " : ""),
              badBytes,
              Buffer.from(w.admin.token),
            ]),
          ]);
          break;
        case "duplicate-content-length":
          framed = true;
          headers.push(["Content-Length", String(body.length)], ["Content-Length", String(body.length + 1)]);
          break;
        case "transfer-encoding-and-content-length":
          framed = true;
          headers.push(["Transfer-Encoding", "chunked"], ["Content-Length", String(body.length)]);
          body = Buffer.from(`${body.length.toString(16)}\r\n${body.toString()}\r\n0\r\n\r\n`);
          break;
        case "bad-chunk-size":
          framed = true;
          headers.push(["Transfer-Encoding", "chunked"]);
          body = Buffer.from("zz\r\n{}\r\n0\r\n\r\n");
          break;
        case "chunked":
          framed = true;
          headers.push(["Transfer-Encoding", "chunked"]);
          body = body.length > 0 ? Buffer.from(`1\r\n{\r\n1\r\n}\r\n0\r\n\r\n`) : Buffer.from("0\r\n\r\n");
          break;
        case "content-length-too-short":
          framed = true;
          headers.push(["Content-Length", "1"]);
          body = Buffer.from('{"name":"x"}');
          break;
        case "no-host":
          headers = headers.filter(([name]) => name !== "Host");
          break;
        case "http-1.0":
          version = "HTTP/1.0";
          break;
        case "absolute-uri":
          target = Buffer.from(`http://evil.example${path}`);
          break;
        case "huge-header":
          headers.push(["X-Big", "a".repeat(20_000)]);
          break;
        case "huge-url":
          target = Buffer.from(`${path}?q=${"a".repeat(20_000)}`);
          break;
        case "lower-case-method":
          method = method.toLowerCase();
          break;
        case "unknown-method":
          method = "FUZZ";
          break;
        case "obs-fold":
          headers.push(["X-Folded", "a\r\n b"]);
          break;
        case "bare-lf":
          eol = "\n";
          break;
        case "header-without-colon":
          headers.push(["X-Fuzz without colon", ""]);
          break;
        case "space-in-path":
          target = Buffer.from(`${path}/a b`);
          break;
        case "backslash-path":
          target = Buffer.from(path.replace(/\//g, "\\"));
          break;
        case "dot-segments":
          target = Buffer.from(`${path}/../../me`);
          break;
        case "double-slashes":
          target = Buffer.from(path.replace(/\//g, "//"));
          break;
        case "body-on-get":
          method = "GET";
          body = Buffer.from('{"name":"x"}');
          headers.push(["Content-Type", "application/json"]);
          break;
        case "expect-continue":
          headers.push(["Expect", "100-continue"]);
          break;
        case "pipelined-garbage":
          tail = Buffer.concat([Buffer.from("GARBAGE "), badBytes, Buffer.from("\r\n\r\n")]);
          break;
        case "invalid-utf8-body":
          if (method !== "GET") body = Buffer.concat([Buffer.from('{"name":"'), badBytes, Buffer.from('"}')]);
          break;
      }
      if (!framed && body.length > 0) headers.push(["Content-Length", String(body.length)]);
      const head = [Buffer.from(`${method} `), target, Buffer.from(` ${version}${eol}`)];
      for (const [name, value] of headers) {
        head.push(Buffer.from(value === "" ? name : `${name}: `), Buffer.from(value), Buffer.from(eol));
      }
      head.push(Buffer.from(eol), body, tail);
      return { route: `${spec.method} ${spec.url}`, kind, path: target.toString("latin1"), bytes: Buffer.concat(head) };
    });
}

async function sendRaw(url: string, phase: string, plan: RawPlan, waitMs = 8000): Promise<RawAnswer> {
  stats.total++;
  bump(stats.byRoute, plan.route);
  const answer = await rawExchange(url, [{ data: plan.bytes }], waitMs);
  const pathname = plan.path.replace(/^https?:\/\/[^/]*/, "").split("?")[0] ?? "";
  const info: RequestInfo = {
    phase,
    route: plan.route,
    method: plan.bytes.subarray(0, plan.bytes.indexOf(" ")).toString("latin1"),
    path: plan.path,
    note: plan.kind,
    request: excerpt(plan.bytes, 400),
  };
  if (answer.status === null) {
    findings.push({ ...info, kind: "no HTTP answer", status: null, response: "" });
  } else {
    judge(info, faceOf(pathname), answer.status, (name) => answer.headers.get(name) ?? null, answer.body);
  }
  return answer;
}

// ---- Fixtures ----------------------------------------------------------------------------------

async function call(
  w: World,
  credentials: Credentials | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const binary = Buffer.isBuffer(body);
  const response = await fetch(`${w.server.url}${path}`, {
    method,
    headers: {
      ...(credentials ? { authorization: basicAuth(credentials) } : {}),
      ...(body !== undefined && !binary ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : binary ? (body as Buffer) : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed };
}

async function must(
  w: World,
  credentials: Credentials | null,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<any> {
  const answer = await call(w, credentials, method, path, body, headers);
  if (answer.status >= 300) {
    throw new Error(
      `fixture ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
  }
  return answer.body;
}

async function uploadFixture(
  w: World,
  credentials: Credentials,
  method: string,
  path: string,
  file: { data: Buffer; filename: string; contentType: string },
  fields: Record<string, string> = {},
): Promise<any> {
  const boundary = "FixtureBoundary7MA4YWxk";
  const parts: Part[] = [
    ...Object.entries(fields).map(([name, value]) => ({ name, data: Buffer.from(value) })),
    { name: "file", ...file },
  ];
  return must(w, credentials, method, path, multipartBody(boundary, parts), {
    "content-type": `multipart/form-data; boundary=${boundary}`,
  });
}

const COMMENT_TEXTS = ["%_\\", "' OR '1'='1", "=cmd|' /C calc'!A0", "😀 e\u0301", "\u202eevil", "a\u200bb"];

const FIXTURE_CSV = [
  "name,email,phone,labels,company,custom_attributes.score,notes",
  `"=cmd|' /C calc'!A0",csv-formula-1@example.com,,vip,@SUM(1),5,+1+1`,
  `-2+3,csv-formula-2@example.com,,"a,b",=HYPERLINK(""http://evil.example""),seven,@x`,
  "Bad Email,not-an-email,,,,,",
  ",,,,,,",
  "\tTabbed,csv-formula-3@example.com,+14155550199,=lead,,,",
].join("\r\n");

/** Worker runs (imports, exports, event dispatch): a throw is a finding of this phase. */
async function runJobs(w: World, phase: string): Promise<void> {
  const jobs: Array<[string, () => Promise<unknown>]> = [
    ["import", () => w.server.core.imports.runDue({ accountId: w.admin.accountId })],
    ["export", () => w.server.core.exports.runDue({ accountId: w.admin.accountId })],
    ["event dispatch", () => w.server.core.events.dispatchAll()],
  ];
  for (const [name, run] of jobs) {
    try {
      await run();
    } catch (error) {
      findings.push({
        phase,
        kind: `${name} worker threw`,
        route: `(${name} worker)`,
        method: "-",
        path: "-",
        note: "",
        status: null,
        request: "(inputs of this phase)",
        response: excerpt(String((error as Error).stack ?? error), 600),
      });
    }
  }
}

/** A fresh set of records to aim real ids at; the previous phase may have deleted or merged the last set. */
async function seedRound(w: World, phase: string): Promise<void> {
  const round = ++w.round;
  const tag = `r${round}`;
  const { admin, agent } = w;
  // Endpoints the previous phase made would multiply deliveries: only this round's stay.
  for (const webhook of (await must(w, admin, "GET", "/v1/webhooks")).data) {
    await must(w, admin, "DELETE", `/v1/webhooks/${webhook.id}`);
  }
  const inboxes: number[] = [];
  for (const type of ["Channel::Email", "Channel::Api", "Channel::Whatsapp", "Channel::WebWidget", "Channel::Sms"]) {
    inboxes.push(
      Number(
        (await must(w, admin, "POST", "/v1/inboxes", { name: `${tag} ${type} \u202einbox`, channel_type: type })).id,
      ),
    );
  }
  const scores: unknown[] = [5, "7", "seven", null, true, 1e308, -3];
  const signups: unknown[] = ["2024-01-01", "not a date", 123, "2024-02-30"];
  const contacts: number[] = [];
  const emails: string[] = [];
  const phones: string[] = [];
  const identifiers: string[] = [];
  for (let i = 0; i < 18; i++) {
    const full = {
      name: NAMES[i % NAMES.length],
      email: `fuzz-${tag}-${i}@example.com`,
      phone_number: `+442079460${String(round * 100 + i).padStart(3, "0")}`,
      identifier: `fz-${tag}-${i}`,
      labels: ["vip", `lead-${i % 3}`, "=formula-label"],
      custom_attributes: {
        score: scores[i % scores.length],
        signup: signups[i % signups.length],
        vip: [true, "yes", 0][i % 3],
        tier: "=cmd|' /C calc'!A0",
        note: "+1+1",
      },
      additional_attributes: { company_name: "@SUM(1,1)", city: "-2+3", country_code: "US" },
    };
    const created = await call(w, admin, "POST", "/v1/contacts", full);
    const contact =
      created.status === 201 ? created.body : await must(w, admin, "POST", "/v1/contacts", { name: full.name });
    contacts.push(Number(contact.id));
    if (created.status === 201) {
      emails.push(i % 2 ? full.email : full.email.toUpperCase());
      phones.push(i % 2 ? full.phone_number : full.phone_number.replace(/^\+44(\d{2})(\d{4})(\d{4})$/, "+44 $1 $2 $3"));
      identifiers.push(full.identifier);
    }
  }
  for (let i = 0; i < 6; i++) {
    await call(w, admin, "POST", `/v1/contacts/${contacts[i]}/contact_inboxes`, {
      inbox_id: inboxes[1],
      source_id: `src-${tag}-${i}`,
    });
  }
  const conversations: number[] = [];
  for (let i = 0; i < 8; i++) {
    const created = await call(w, admin, "POST", "/v1/conversations", {
      contact_id: contacts[i],
      inbox_id: inboxes[1],
      assignee_id: i % 2 ? agent.userId : admin.userId,
      status: "open",
    });
    if (created.status === 201) conversations.push(Number(created.body.id));
  }
  if (conversations.length > 0) {
    await call(w, admin, "PATCH", `/v1/conversations/${conversations[0]}`, { status: "pending", labels: ["=x"] });
  }
  const comments: Array<[number, number]> = [];
  for (let i = 0; i < 6; i++) {
    const [author, mentioned] = i % 2 ? [agent, admin] : [admin, agent];
    const comment = await must(w, author, "POST", `/v1/contacts/${contacts[i]}/comments`, {
      text: `${COMMENT_TEXTS[i % COMMENT_TEXTS.length]} [@Someone](mention://user/${mentioned.userId}/Someone)`,
    });
    comments.push([contacts[i]!, Number(comment.id)]);
  }
  for (let i = 0; i < 6; i++) await call(w, agent, "PUT", `/v1/contacts/${contacts[i]}/followers/me`);
  for (let i = 0; i < 3; i++) await call(w, admin, "PUT", `/v1/contacts/${contacts[i + 6]}/followers/me`);
  await call(w, admin, "PATCH", `/v1/contacts/${contacts[0]}`, { name: "Followed and changed" });
  const files: Array<[number, number]> = [];
  for (let i = 0; i < 4; i++) {
    const file = await uploadFixture(w, admin, "POST", `/v1/contacts/${contacts[i]}/files`, {
      data: Buffer.from(`fixture file ${i}\n=cmd|' /C calc'!A0\n`),
      filename: `../fixture-${i}.txt`,
      contentType: "text/plain",
    });
    files.push([contacts[i]!, Number(file.id)]);
  }
  const avatarKeys: string[] = [];
  const keyOf = (url: unknown) => /\/avatars\/([^/?#]+)/.exec(String(url))?.[1];
  for (let i = 0; i < 2; i++) {
    const contact = await uploadFixture(w, admin, "PUT", `/v1/contacts/${contacts[i]}/avatar`, {
      data: IMAGES["image/png"],
      filename: "avatar.png",
      contentType: "image/png",
    });
    const key = keyOf(contact.avatar_url);
    if (key) avatarKeys.push(key);
  }
  const upload = await uploadFixture(w, admin, "POST", "/v1/uploads", {
    data: IMAGES["image/gif"],
    filename: "image.gif",
    contentType: "image/gif",
  });
  const uploadedKey = keyOf(upload.url);
  if (uploadedKey) avatarKeys.push(uploadedKey);
  const webhooks: number[] = [];
  for (let i = 0; i < 2; i++) {
    const webhook = await must(w, admin, "POST", "/v1/webhooks", {
      url: `http://127.0.0.1:9/hook-${tag}-${i}`,
      events: ["*"],
      description: "fuzz fixture (never delivered: no sender runs)",
    });
    webhooks.push(Number(webhook.id));
  }
  const apiKeys: number[] = [];
  for (let i = 0; i < 3; i++) {
    apiKeys.push(
      Number((await must(w, admin, "POST", `/v1/users/${w.spareUserId}/api_keys`, { name: `spare ${tag}-${i}` })).id),
    );
  }
  await uploadFixture(w, admin, "POST", "/v1/imports", {
    data: Buffer.from(FIXTURE_CSV),
    filename: "fixture.csv",
    contentType: "text/csv",
  });
  await must(w, admin, "POST", "/v1/exports", { columns: ["id", "name", "email", "labels", "custom_attributes.tier"] });
  await runJobs(w, phase);
  const ids = (list: any) => (list?.data ?? []).map((item: { id: string }) => Number(item.id));
  const adminNotifications: number[] = ids(await must(w, admin, "GET", "/v1/notifications?limit=50"));
  const notifications = [...ids(await must(w, agent, "GET", "/v1/notifications?limit=50")), ...adminNotifications];
  const deliveries: Array<[number, number]> = [];
  for (const webhook of webhooks) {
    for (const id of ids(await must(w, admin, "GET", `/v1/webhooks/${webhook}/deliveries?limit=20`))) {
      deliveries.push([webhook, id]);
    }
  }
  const cursors: string[] = [];
  for (const query of ["limit=2", "limit=2&sort=name&direction=desc", "limit=2&sort=last_activity_at"]) {
    const cursor = (await must(w, admin, "GET", `/v1/contacts?${query}`)).next_cursor;
    if (cursor) cursors.push(cursor);
  }
  w.pools = {
    contacts,
    inboxes,
    conversations,
    users: [admin.userId, agent.userId, w.spareUserId],
    webhooks,
    notifications,
    adminNotifications,
    imports: ids(await must(w, admin, "GET", "/v1/imports?limit=20")),
    exports: ids(await must(w, admin, "GET", "/v1/exports?limit=20")),
    apiKeys,
    avatarKeys,
    files,
    comments,
    deliveries,
    cursors,
    emails,
    phones,
    identifiers,
  };
}

/** What the servers logged as failed requests, by request id: a 5xx finding shows why it failed. */
const serverLog = new Map<string, string>();

const errorLog = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      try {
        const entry = JSON.parse(line);
        const err = entry.err ?? {};
        // The first frames in the product's own code, past the database driver wrappers.
        const frames = String(err.stack ?? "")
          .split("\n")
          .filter((l: string) => l.includes("/src/") && !/store\/(postgres|pglite|database)\.ts/.test(l))
          .slice(0, 2)
          .map((l: string) =>
            l
              .trim()
              .replace(/^at /, "")
              .replace(/\(?\/.*\/src\//, "(src/"),
          );
        const text = `${entry.msg}: ${err.type ?? "?"}: ${err.message ?? ""}${err.code ? ` (code ${err.code})` : ""}${frames.length ? ` at ${frames.join(" < ")}` : ""}`;
        if (entry.reqId) serverLog.set(entry.reqId, text);
      } catch {}
    }
    done();
  },
});

/**
 * harness.startServer, with this file's limits and with error logs kept (the harness silences
 * them), so that a 5xx in the report comes with the server's own account of it.
 */
async function startFuzzServer(db?: Database, requestTimeout?: number): Promise<TestServer> {
  const database = db ?? (await openTestDatabase());
  const blobs = await tempBlobStore();
  const { bodyLimit, ...settings } = LIMITS;
  const core = testCore(database, blobs, settings);
  const metrics = new Metrics(core);
  const app = await buildApp({ core, logLevel: "error", logDestination: errorLog, bodyLimit, requestTimeout, metrics });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    db: database,
    blobs,
    core,
    app,
    background: undefined,
    metrics,
    async close() {
      await app.close();
      await core.close();
      if (!db) await database.close();
      await rm(blobs.root, { recursive: true, force: true });
    },
  };
}

async function expectHealthy(server: TestServer, w: World): Promise<void> {
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status, "GET /healthz after fuzzing").toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });
  const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: basicAuth(w.admin) } });
  expect(me.status, "an authenticated request after fuzzing").toBe(200);
}

// ---- The phases --------------------------------------------------------------------------------

describe(`fuzzing every route (seed ${SEED}, ${backend})`, () => {
  const w = {} as World;
  let openapi: Schema;
  let ownDatabase: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let db: Database | undefined;

  beforeAll(async () => {
    // A database of its own on PostgreSQL: event dispatch here must not take other files' events.
    if (backend === "postgres") {
      ownDatabase = await freshDatabase();
      db = await ownDatabase.open();
      await migrate(db);
    }
    w.server = await startFuzzServer(db);
    w.slow = await startFuzzServer(w.server.db, SLOW_TIMEOUT_MS);
    w.admin = await newAccount(w.server.db);
    w.agent = await newAgent(w.server, w.admin);
    w.foreign = await newAccount(w.server.db);
    w.adminActor = {
      accountId: w.admin.accountId,
      userId: w.admin.userId,
      role: "administrator",
      credentialId: w.admin.keyId,
    };
    w.round = 0;
    w.pools = {} as Pools;
    for (const [key, type] of [
      ["score", "number"],
      ["signup", "date"],
      ["vip", "checkbox"],
      ["tier", "list"],
      ["price", "currency"],
    ]) {
      await w.server.db.execute(sql`
        INSERT INTO custom_attribute_definitions (account_id, attribute_key, display_name, display_type)
        VALUES (${w.admin.accountId}, ${key}, ${key}, ${type})`);
    }
    w.spareUserId = Number((await must(w, w.admin, "POST", "/v1/users", { name: "Spare", role: "agent" })).id);
    const foreignContact = await must(w, w.foreign, "POST", "/v1/contacts", { name: "Elsewhere" });
    const foreignInbox = await must(w, w.foreign, "POST", "/v1/inboxes", {
      name: "Elsewhere",
      channel_type: "Channel::Api",
    });
    const foreignComment = await must(w, w.foreign, "POST", `/v1/contacts/${foreignContact.id}/comments`, {
      text: "hi",
    });
    w.foreignIds = [foreignContact.id, foreignInbox.id, foreignComment.id, w.foreign.userId, w.foreign.keyId].map(
      Number,
    );
    openapi = (await must(w, null, "GET", "/openapi.json")) as Schema;
    w.specs = routeSpecs(w.server.app.routeTable, openapi);
  }, 120_000);

  afterAll(async () => {
    await w.slow?.close();
    await w.server?.close();
    if (ownDatabase) {
      await db?.close();
      await ownDatabase.drop();
    }
  }, 60_000);

  async function fuzzRoutes(phase: string, specs: RouteSpec[], runs: number): Promise<void> {
    await expectHealthy(w.server, w);
    await seedRound(w, phase);
    const requests = generate(specs, runs, w, openapi);
    await inParallel(requests, (request) => send(w.server.url, phase, request));
    await expectHealthy(w.server, w);
  }

  it("derives inputs for every route of the route table", () => {
    const routes = w.specs.map((s) => `${s.method} ${s.url}`);
    expect(routes.length).toBeGreaterThan(100);
    for (const face of ["native", "chatwoot", "livedesk", "imbrace", "public", "root"] as const) {
      expect(
        w.specs.some((s) => s.face === face),
        `a ${face} route`,
      ).toBe(true);
    }
    // Every /v1 route is in the API document; other faces' routes this file has no schemas for
    // (a new one) are still fuzzed, generically.
    expect(
      w.specs.filter((s) => s.face === "native" && s.source !== "openapi").map((s) => `${s.method} ${s.url}`),
    ).toEqual([]);
    expect(Object.keys(UPLOADS).filter((route) => !routes.includes(route))).toEqual([]);
  });

  phaseIt("native")(
    "native API: schema-derived and hostile inputs on every route",
    async () => {
      await fuzzRoutes(
        "native",
        w.specs.filter((s) => s.face === "native" && !s.upload),
        RUNS,
      );
      assertNoFindings("native");
    },
    300_000,
  );

  phaseIt("compat")(
    "compatibility faces (chatwoot, livedesk, imbrace), public and root routes",
    async () => {
      await fuzzRoutes(
        "compat",
        w.specs.filter((s) => s.face !== "native" && !s.upload),
        RUNS,
      );
      assertNoFindings("compat");
    },
    300_000,
  );

  phaseIt("uploads")(
    "uploads: multipart edge cases, hostile file names, oversized files, CSV imports and exports",
    async () => {
      const phase = "uploads";
      await fuzzRoutes(
        phase,
        w.specs.filter((s) => s.upload),
        RUNS,
      );
      // The imports the fuzzing queued run, then every CSV the server writes is checked for formulas.
      await runJobs(w, phase);
      const follow: FuzzRequest[] = [];
      const get = (route: string, path: string, headers: Record<string, string>) =>
        follow.push({ route, method: "GET", path, headers, payload: { note: "" }, note: "after the jobs ran" });
      const admin = { authorization: basicAuth(w.admin) };
      for (const job of (await must(w, w.admin, "GET", "/v1/imports?limit=200")).data.slice(0, 80)) {
        get("GET /v1/imports/:id", `/v1/imports/${job.id}`, admin);
        get("GET /v1/imports/:id/failed_rows.csv", `/v1/imports/${job.id}/failed_rows.csv`, admin);
      }
      for (const job of (await must(w, w.admin, "GET", "/v1/exports?limit=100")).data) {
        get("GET /v1/exports/:id/download", `/v1/exports/${job.id}/download`, admin);
      }
      const columns = COLUMNS.slice(0, 18).map(pct).join(",");
      get("GET /v1/contacts/export.csv", `/v1/contacts/export.csv?columns=${columns}&bom=true`, admin);
      get(
        "GET /v1/contacts/export.csv",
        "/v1/contacts/export.csv?columns=custom_attributes,additional_attributes,labels",
        admin,
      );
      get(`GET ${IB}/contacts/_export_csv`, `${IB}/contacts/_export_csv`, { "x-api-key": w.admin.token });
      await inParallel(follow, (request) => send(w.server.url, phase, request));
      await expectHealthy(w.server, w);
      assertNoFindings(phase);
    },
    300_000,
  );

  phaseIt("raw")(
    "malformed HTTP on raw sockets: broken framing, raw bytes, bad encodings",
    async () => {
      const phase = "raw";
      if (w.round === 0) await seedRound(w, phase);
      await expectHealthy(w.server, w);
      const plans = fc.sample(rawPlanArb(w.specs, w), { seed: (SEED ^ hash("raw sockets")) | 0, numRuns: 320 });
      await inParallel(plans, async (plan) => {
        await sendRaw(w.server.url, phase, plan);
      });
      await expectHealthy(w.server, w);
      assertNoFindings(phase);
    },
    300_000,
  );

  phaseIt("slow")(
    "slow bodies: stalled requests get 408 once the request timeout passes, and the server stays up",
    async () => {
      const phase = "slow";
      const server = w.slow;
      if (w.round === 0) await seedRound(w, phase);
      await expectHealthy(server, w);
      const host = new URL(server.url).host;
      const contact = w.pools.contacts[0] ?? 1;
      const note = w.pools.comments[0] ?? [1, 1];
      const head = (method: string, path: string, auth: string, headers: string[]) =>
        `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${auth}\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;
      const native = `Authorization: ${basicAuth(w.admin)}`;
      const token = `api_access_token: ${w.admin.token}`;
      const apiKey = `x-api-key: ${w.admin.token}`;
      const boundary = "SlowBoundary";
      const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`;
      const multipart = (method: string, path: string, auth: string) =>
        head(method, path, auth, [
          `Content-Type: multipart/form-data; boundary=${boundary}`,
          "Content-Length: 100000",
        ]) + partHead;
      const json = (length: number) => ["Content-Type: application/json", `Content-Length: ${length}`];
      const once = (text: string | Buffer) => [{ data: Buffer.isBuffer(text) ? text : Buffer.from(text) }];
      const trickle = (text: string, every: number) =>
        [...text].map((c, i) => ({ data: Buffer.from(c), delayMs: i === 0 ? 0 : every }));
      const body = '{"name":"Trickle"}';
      const plans: Array<{
        route: string;
        kind: string;
        chunks: Array<{ data: Buffer; delayMs?: number }>;
        stalls: boolean;
      }> = [
        {
          route: "POST /v1/contacts",
          kind: "JSON body stops",
          chunks: once(`${head("POST", "/v1/contacts", native, json(100))}{"name": "Slow`),
          stalls: true,
        },
        {
          route: `POST ${CW}/contacts`,
          kind: "JSON body stops",
          chunks: once(
            `${head("POST", `/api/v1/accounts/${w.admin.accountId}/contacts`, token, json(200))}{"name":"Slow"`,
          ),
          stalls: true,
        },
        {
          route: `PATCH ${CW}/contacts/:id/notes/:note_id`,
          kind: "JSON body stops",
          chunks: once(
            `${head("PATCH", `/api/v1/accounts/${w.admin.accountId}/contacts/${note[0]}/notes/${note[1]}`, token, json(90))}{"note":{`,
          ),
          stalls: true,
        },
        {
          route: `PUT ${IB}/contacts/:id`,
          kind: "JSON body stops",
          chunks: once(`${head("PUT", `${IB}/contacts/${contact}`, apiKey, json(50))}{"name":`),
          stalls: true,
        },
        {
          route: "GET /api/v2/accounts/contacts",
          kind: "headers stop",
          chunks: once(`GET /api/v2/accounts/contacts HTTP/1.1\r\nHost: ${host}\r\n${native}\r\n`),
          stalls: true,
        },
        { route: "POST /v1/contacts", kind: "request line stops", chunks: once("POST /v1/con"), stalls: true },
        {
          route: "POST /v1/contacts/:id/files",
          kind: "file upload stops",
          chunks: once(
            Buffer.concat([
              Buffer.from(multipart("POST", `/v1/contacts/${contact}/files`, native)),
              Buffer.alloc(1000, 0x41),
            ]),
          ),
          stalls: true,
        },
        {
          route: "POST /v1/imports",
          kind: "import upload stops",
          chunks: once(
            `${multipart("POST", "/v1/imports", native).replace("slow.png", "slow.csv")}name,email\r\nSlow,slow@example.com\r\n`,
          ),
          stalls: true,
        },
        {
          route: "PUT /v1/contacts/:id/avatar",
          kind: "avatar upload stops",
          chunks: once(
            Buffer.concat([
              Buffer.from(multipart("PUT", `/v1/contacts/${contact}/avatar`, native)),
              IMAGES["image/png"].subarray(0, 20),
            ]),
          ),
          stalls: true,
        },
        {
          route: `POST ${IB}/contacts/_fileupload`,
          kind: "image upload stops",
          chunks: once(
            Buffer.concat([
              Buffer.from(multipart("POST", `${IB}/contacts/_fileupload`, apiKey)),
              IMAGES["image/gif"].subarray(0, 10),
            ]),
          ),
          stalls: true,
        },
        {
          route: "POST /v1/contacts",
          kind: "chunked body stops",
          chunks: once(
            `${head("POST", "/v1/contacts", native, ["Content-Type: application/json", "Transfer-Encoding: chunked"])}5\r\n{"nam\r\n`,
          ),
          stalls: true,
        },
        {
          route: "POST /v1/contacts",
          kind: "body trickles past the timeout",
          chunks: [
            { data: Buffer.from(head("POST", "/v1/contacts", native, json(body.length))) },
            ...trickle(body, 250),
          ],
          stalls: true,
        },
        {
          route: "GET /v1/me",
          kind: "headers trickle past the timeout",
          chunks: [
            "GET /v1/me HTTP/1.1\r\n",
            `Host: ${host}\r\n`,
            `${native}\r\n`,
            "X-A: 1\r\n",
            "X-B: 2\r\n",
            "X-C: 3\r\n",
            "\r\n",
          ].map((line, i) => ({ data: Buffer.from(line), delayMs: i === 0 ? 0 : 400 })),
          stalls: true,
        },
        {
          route: "POST /v1/contacts",
          kind: "body arrives in time, in pieces",
          chunks: [
            { data: Buffer.from(head("POST", "/v1/contacts", native, [...json(body.length), "Connection: close"])) },
            { data: Buffer.from(body.slice(0, 5)), delayMs: 100 },
            { data: Buffer.from(body.slice(5)), delayMs: 100 },
          ],
          stalls: false,
        },
        {
          route: `POST ${CW}/contacts`,
          kind: "body arrives in time, in pieces",
          chunks: [
            {
              data: Buffer.from(
                head("POST", `/api/v1/accounts/${w.admin.accountId}/contacts`, token, [
                  ...json(body.length),
                  "Connection: close",
                ]),
              ),
            },
            { data: Buffer.from(body.slice(0, 9)), delayMs: 150 },
            { data: Buffer.from(body.slice(9)), delayMs: 150 },
          ],
          stalls: false,
        },
        {
          route: "POST /v1/uploads",
          kind: "upload arrives in time, in pieces",
          chunks: (() => {
            const complete = multipartBody(boundary, [
              { name: "file", filename: "in-time.png", contentType: "image/png", data: IMAGES["image/png"] },
            ]);
            const start = head("POST", "/v1/uploads", native, [
              `Content-Type: multipart/form-data; boundary=${boundary}`,
              `Content-Length: ${complete.length}`,
              "Connection: close",
            ]);
            return [
              { data: Buffer.from(start) },
              { data: complete.subarray(0, 60), delayMs: 100 },
              { data: complete.subarray(60), delayMs: 100 },
            ];
          })(),
          stalls: false,
        },
      ];
      await Promise.all(
        plans.map(async (plan) => {
          stats.total++;
          bump(stats.byRoute, plan.route);
          const answer = await rawExchange(server.url, plan.chunks, 8000);
          const first = plan.chunks[0]!.data.toString("latin1");
          const path = /^\w+ (\S+)/.exec(first)?.[1] ?? "/";
          const info: RequestInfo = {
            phase,
            route: plan.route,
            method: first.split(" ")[0] ?? "?",
            path,
            note: plan.kind,
            request: excerpt(Buffer.concat(plan.chunks.map((c) => c.data)), 300),
          };
          if (answer.status === null) {
            findings.push({ ...info, kind: `no answer within 8 s (${plan.kind})`, status: null, response: "" });
            return;
          }
          if (plan.stalls && answer.ms > 5000) {
            findings.push({ ...info, kind: "stalled request held for over 5 s", status: answer.status, response: "" });
          }
          if (plan.stalls && answer.status !== 408 && answer.status < 500) {
            // A stalled request may be refused for what it sent so far, but never served.
            if (answer.status < 400)
              findings.push({
                ...info,
                kind: "stalled request was served",
                status: answer.status,
                response: excerpt(answer.body),
              });
          }
          judge(
            info,
            faceOf(path.split("?")[0] ?? "/"),
            answer.status,
            (name) => answer.headers.get(name) ?? null,
            answer.body,
          );
        }),
      );
      await expectHealthy(server, w);
      await expectHealthy(w.server, w);
      assertNoFindings(phase);
    },
    120_000,
  );

  it("sent at least 10,000 requests, covering every route", () => {
    const seconds = Math.round((Date.now() - stats.started) / 1000);
    const serverErrors = findings.filter((f) => f.kind === "server error").length;
    const neverOk = w.specs
      .filter((s) => !stats.okByRoute.has(`${s.method} ${s.url}`))
      .map((s) => `${s.method} ${s.url}`);
    const classes = [...stats.byStatusClass.entries()].sort().map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`);
    console.log(
      `fuzz: ${stats.total.toLocaleString("en-US")} requests, ${serverErrors} server errors, ` +
        `${findings.length} findings (${backend}, seed ${SEED}, ${seconds} s; ${classes.join(", ")}; ` +
        `${stats.transportLevel} refused by the HTTP parser, ${stats.closedEarly} oversized cut short, ` +
        `${stats.csvChecked} CSV files checked for formulas; ` +
        `${neverOk.length} routes never answered 2xx${neverOk.length ? `: ${neverOk.slice(0, 12).join(", ")}` : ""}${neverOk.length > 12 ? ", …" : ""})`,
    );
    // FUZZ_REPORT=<file> keeps every finding as JSON, for working through a long list.
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(findings, null, 1));
    if (process.env.FUZZ_VERBOSE) {
      const slowest = [...stats.msByRoute.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
      console.log(slowest.map(([route, ms]) => `${route}: ${ms} ms / ${stats.byRoute.get(route)}`).join("\n"));
      for (const route of neverOk) {
        const statuses = [...(stats.statusesByRoute.get(route) ?? new Map()).entries()].sort((a, b) => b[1] - a[1]);
        console.log(`never 2xx: ${route}: ${statuses.map(([status, n]) => `${status}×${n}`).join(" ")}`);
      }
    }
    if (ALL_PHASES.some((name) => !PHASES.has(name))) return;
    expect(w.specs.filter((s) => !stats.byRoute.has(`${s.method} ${s.url}`))).toEqual([]);
    expect(stats.total).toBeGreaterThanOrEqual(RUNS >= 80 ? 10_000 : 0);
  });
});
