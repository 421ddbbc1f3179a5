import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { lockSubscriptions } from "../src/store/webhooks.js";
import { basicAuth, type Credentials, httpClient, newAccount, type TestServer, useServer } from "./harness.js";
import { filesUnder, upload } from "./upload-helpers.js";

let server: TestServer;
let admin: Credentials;
let api: ReturnType<typeof httpClient>;

const fixture = useServer({ background: false });
beforeAll(() => {
  ({ server, admin, api } = fixture);
});

async function startImport(
  csv: string | Buffer,
  fields: Record<string, string> = {},
  credentials: Credentials = admin,
): Promise<{ status: number; body: any }> {
  const { multipartBody, MULTIPART } = await import("./upload-helpers.js");
  const body = multipartBody([
    ...Object.entries(fields).map(([name, data]) => ({ name, data })),
    { name: "file", filename: "contacts.csv", contentType: "text/csv", data: csv },
  ]);
  const response = await fetch(`${server.url}/v1/imports`, {
    method: "POST",
    headers: { authorization: basicAuth(credentials), "content-type": MULTIPART },
    body,
  });
  return { status: response.status, body: await response.json() };
}

/** Uploads, runs the worker (in batches of `batchRows` when given), and returns the finished import. */
async function runImport(
  csv: string | Buffer,
  fields: Record<string, string> = {},
  credentials = admin,
  batchRows?: number,
) {
  const started = await startImport(csv, fields, credentials);
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ object_name: "import", status: "queued" });
  await server.core.imports.runDue({ accountId: credentials.accountId, batchRows });
  const res = await httpClient(server.url, basicAuth(credentials))("GET", `/v1/imports/${started.body.id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function failedRows(id: string, credentials = admin): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/v1/imports/${id}/failed_rows.csv`, {
    headers: { authorization: basicAuth(credentials) },
  });
  return { status: response.status, text: await response.text() };
}

async function contactCount(accountId: number): Promise<number> {
  const [row] = await server.db.query<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${accountId}`,
  );
  return row?.n ?? 0;
}

async function contactBy(email: string) {
  const res = await api("GET", `/v1/contacts/lookup?email=${encodeURIComponent(email)}`);
  return res.body;
}

function expectAccounted(job: any): void {
  expect(job.created + job.updated + job.skipped + job.failed).toBe(job.total_rows);
  expect(job.processed_rows).toBe(job.total_rows);
}

/** The import's blob key (to check its bytes are gone once it ends). */
async function blobKeyOf(accountId: number, id: string): Promise<string> {
  const [row] = await server.db.query<{ blob_key: string }>(
    sql`SELECT blob_key FROM imports WHERE account_id = ${accountId} AND id = ${Number(id)}`,
  );
  return row?.blob_key as string;
}

/** A fresh account, so counts are not disturbed by other tests. */
async function freshAccount() {
  const credentials = await newAccount(server.db);
  return { credentials, client: httpClient(server.url, basicAuth(credentials)) };
}

/**
 * Runs `work` with `action` (PL/pgSQL over NEW) done just before each insert of the account's
 * contacts where `when` (SQL over NEW) holds.
 */
async function withInsertTrigger<T>(
  accountId: number,
  when: string,
  action: string,
  work: () => Promise<T>,
): Promise<T> {
  const name = `import_trigger_${accountId}`;
  await server.db.exec(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.account_id = ${accountId} AND ${when} THEN
        ${action}
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${name} BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION ${name}();`);
  try {
    return await work();
  } finally {
    await server.db.exec(`DROP TRIGGER ${name} ON contacts; DROP FUNCTION ${name}();`);
  }
}

/**
 * Runs `work` while another writer, played by a trigger, gives contact `otherId` the email of each
 * contact of the account the import inserts where `when` holds, just before the insert, which then
 * breaks contacts_email_key.
 */
function whileAnotherWriterTakesEmails<T>(
  accountId: number,
  otherId: string,
  when: string,
  work: () => Promise<T>,
): Promise<T> {
  const take = `UPDATE contacts SET email = NEW.email WHERE account_id = NEW.account_id AND id = ${Number(otherId)};`;
  return withInsertTrigger(accountId, when, take, work);
}

describe("imports: the happy path", () => {
  it("creates contacts from a file with aliased headers", async () => {
    const { credentials, client } = await freshAccount();
    const csv =
      "First Name,Last_Name,E-mail,Mobile,Company,tags,City,Notes\r\n" +
      "Ada,Lovelace,ADA@example.com,+44 20 7946 0018,Analytical Ltd,vip; founders,London,ignored\r\n" +
      "Alan,Turing,alan@example.com,+1 415 555 0101,,vip,,\r\n";
    const job = await runImport(csv, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 2, created: 2, updated: 0, skipped: 0, failed: 0 });
    expectAccounted(job);
    const ada = (await client("GET", "/v1/contacts/lookup?email=ada@example.com")).body;
    expect(ada).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone_number: "+442079460018",
      additional_attributes: { company_name: "Analytical Ltd", city: "London" },
      custom_attributes: {},
      labels: ["founders", "vip"],
    });
    const history = await client("GET", `/v1/contacts/${ada.id}/activities`);
    expect(history.body.data.map((a: any) => a.action)).toContain("contact.created");
    const list = await client("GET", "/v1/imports");
    expect(list.body.data[0]).toMatchObject({ id: job.id, object_name: "import" });
  });

  it("an agent may import too", async () => {
    const job = await runImport("name,email\nAgent Made,agent-made@example.com\n", {}, fixture.agent);
    expect(job).toMatchObject({ status: "succeeded", created: 1 });
  });

  it("updates contacts matched by identifier, email and phone (in another format)", async () => {
    const { credentials, client } = await freshAccount();
    const a = await client("POST", "/v1/contacts", { name: "A", identifier: "ext-1" });
    const b = await client("POST", "/v1/contacts", { name: "B", email: "b@example.com" });
    const c = await client("POST", "/v1/contacts", { name: "C", phone_number: "+14155550123" });
    const csv = [
      "external_id,name,email,phone_number,custom.tier",
      "ext-1,A Renamed,,,gold",
      ",B Renamed,B@Example.com,,",
      ",C Renamed,,+1 (415) 555-0123,",
      ",New Person,new@example.com,,",
    ].join("\n");
    const job = await runImport(csv, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 4, created: 1, updated: 3, skipped: 0, failed: 0 });
    expect((await client("GET", `/v1/contacts/${a.body.id}`)).body).toMatchObject({
      name: "A Renamed",
      custom_attributes: { tier: "gold" },
    });
    expect((await client("GET", `/v1/contacts/${b.body.id}`)).body.name).toBe("B Renamed");
    expect((await client("GET", `/v1/contacts/${c.body.id}`)).body.name).toBe("C Renamed");
    expect(await contactCount(credentials.accountId)).toBe(4);
  });

  it("skips duplicates within the file, fails invalid rows, and reports both", async () => {
    const { credentials } = await freshAccount();
    const csv = [
      "name,email,phone,identifier",
      "One,one@example.com,,",
      "Bad Email,not-an-email,,",
      "Two,two@example.com,+14155550199,",
      "One Again,ONE@example.com,,",
      "Bad Phone,,12,",
      "Two By Phone,,+1 415 555 0199,",
      "Unique,unique@example.com,,u-1",
      ",,,",
    ].join("\r\n");
    const job = await runImport(csv, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 8, created: 3, skipped: 3, failed: 2 });
    expectAccounted(job);
    const report = await failedRows(job.id, credentials);
    expect(report.status).toBe(200);
    const lines = report.text.trim().split("\r\n");
    expect(lines[0]).toBe("row,result,reason,message,name,email,phone,identifier");
    expect(lines.slice(1)).toEqual([
      "3,failed,invalid_email,email: is not a valid email address,Bad Email,not-an-email,,",
      "5,skipped,duplicate_in_file,Same email as row 2,One Again,ONE@example.com,,",
      expect.stringMatching(/^6,failed,(invalid_phone_number|missing_country_code),phone_number: .*,Bad Phone,,12,$/),
      // Not E.164, so a spreadsheet would read it as a formula: escaped as exports escape it.
      "7,skipped,duplicate_in_file,Same phone_number as row 4,Two By Phone,,'+1 415 555 0199,",
      "9,skipped,no_data,Row has no values in the imported columns,,,,",
    ]);
    expect(await contactCount(credentials.accountId)).toBe(3);
  });

  it("ignores unknown columns, or keeps them as custom attributes when asked", async () => {
    const { credentials, client } = await freshAccount();
    const csv = "name,email,Favourite Colour\nIgnored,ign@example.com,blue\n";
    expect(await runImport(csv, {}, credentials)).toMatchObject({ status: "succeeded", created: 1 });
    expect((await client("GET", "/v1/contacts/lookup?email=ign@example.com")).body.custom_attributes).toEqual({});
    const kept = "name,email,Favourite Colour\nKept,kept@example.com,green\n";
    expect(await runImport(kept, { unknown_columns: "custom_attributes" }, credentials)).toMatchObject({ created: 1 });
    expect((await client("GET", "/v1/contacts/lookup?email=kept@example.com")).body.custom_attributes).toEqual({
      favourite_colour: "green",
    });
  });

  it("reads quoted fields with commas, newlines, doubled quotes, unicode and a BOM", async () => {
    const { credentials, client } = await freshAccount();
    const csv =
      '\uFEFFname,email,company\r\n"Nguyễn, Văn ""An""",an@example.com,"Công ty\nTNHH 😀"\r\n"Zoë",zoe@example.com,Ünïcode\n';
    const job = await runImport(csv, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 2, created: 2 });
    const an = (await client("GET", "/v1/contacts/lookup?email=an@example.com")).body;
    expect(an.name).toBe('Nguyễn, Văn "An"');
    expect(an.additional_attributes.company_name).toBe("Công ty\nTNHH 😀");
    expect((await client("GET", "/v1/contacts/lookup?email=zoe@example.com")).body.name).toBe("Zoë");
  });

  it("a dry run writes nothing but reports what would happen", async () => {
    const { credentials, client } = await freshAccount();
    await client("POST", "/v1/contacts", { name: "Existing", email: "exists@example.com" });
    const csv = "name,email\nExisting Renamed,exists@example.com\nNew,new@example.com\nBad,bad\n";
    const job = await runImport(csv, { dry_run: "true" }, credentials);
    expect(job).toMatchObject({ status: "succeeded", dry_run: true, total_rows: 3, created: 1, updated: 1, failed: 1 });
    expect(await contactCount(credentials.accountId)).toBe(1);
    expect((await client("GET", "/v1/contacts/lookup?email=exists@example.com")).body.name).toBe("Existing");
    const events = await server.db.query<{ type: string }>(
      sql`SELECT type FROM events WHERE account_id = ${credentials.accountId} AND type LIKE 'contact.%' AND contact_id IS NOT NULL AND data->>'import_id' IS NOT NULL`,
    );
    expect(events).toEqual([]);
    expect((await failedRows(job.id, credentials)).text).toContain("4,failed,invalid_email");
  });

  it("notifies the importer with an import.finished event", async () => {
    const job = await runImport("name,email\nNotify Me,notify@example.com\n");
    const events = await server.db.query<{ actor_id: number; data: Record<string, unknown> }>(
      sql`SELECT actor_id, data FROM events WHERE account_id = ${admin.accountId} AND type = 'import.finished'
        AND data->>'import_id' = ${job.id}`,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_id: admin.userId,
      data: { import_id: job.id, status: "succeeded", dry_run: false, created: 1, total: 1 },
    });
    await server.core.events.dispatchAll();
    const notes = await api("GET", "/v1/notifications");
    expect(notes.body.data.some((n: any) => n.type === "import_finished")).toBe(true);
  });
});

describe("imports: files that cannot be imported", () => {
  async function expectFailed(csv: string | Buffer, code: string, message?: RegExp) {
    const { credentials } = await freshAccount();
    const job = await runImport(csv, {}, credentials);
    expect(job).toMatchObject({ status: "failed", created: 0, updated: 0, error: { code } });
    if (message) expect(job.error.message).toMatch(message);
    expect(await contactCount(credentials.accountId)).toBe(0);
    // A finished import keeps only its report: the uploaded bytes are removed.
    expect(await server.blobs.read(await blobKeyOf(credentials.accountId, job.id))).toBeNull();
    return { ...job, credentials };
  }

  it("an unterminated quote fails as malformed_csv naming the row", async () => {
    await expectFailed('name,email\nOk,ok@example.com\n"Open,open@example.com\n', "malformed_csv", /Row 3/);
  });

  it("text after a closing quote fails as malformed_csv naming the row and column, writing nothing", async () => {
    const csv = 'name,email\nOk,ok@example.com\nBad,"abc"@example.com\nLater,later@example.com\n';
    const job = await expectFailed(csv, "malformed_csv");
    expect(job.error.message).toBe(
      "Row 3, column 2 has text after the closing quote of a quoted field (a quote inside a quoted field must be doubled)",
    );
    // The file is refused whole: not even the good row before it is written or reported.
    expect(job).toMatchObject({ total_rows: 0, processed_rows: 0, skipped: 0, failed: 0 });
    expect((await failedRows(job.id, job.credentials)).text).toBe("row,result,reason,message\r\n");
  });

  it("a quote left open mid-file runs to the end of the file and fails as malformed_csv, writing nothing", async () => {
    const csv =
      'name,email\nOk,ok@example.com\n"Open,open@example.com\nLater,later@example.com\nLast,last@example.com\n';
    const job = await expectFailed(csv, "malformed_csv");
    expect(job.error.message).toBe("Row 3 opens a quoted field that is never closed");
    expect(job).toMatchObject({ total_rows: 0, processed_rows: 0 });
  });

  it("a quote left open mid-file fails at the record size limit, writing nothing", async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `Person ${i},p${i}@example.com`);
    const csv = `name,email\nOk,ok@example.com\n"Open,open@example.com\n${rows.join("\n")}\n`;
    expect(csv.length).toBeGreaterThan(1024 * 1024);
    const job = await expectFailed(csv, "malformed_csv");
    expect(job.error.message).toBe("Row 3 is longer than 1048576 characters (is a quote left open?)");
    expect(job).toMatchObject({ total_rows: 0, processed_rows: 0 });
  });

  it("invalid UTF-8 fails as invalid_encoding naming the row", async () => {
    const bytes = Buffer.concat([
      Buffer.from("name,email\nFine,fine@example.com\n"),
      Buffer.from([0x4a, 0xff, 0xfe, 0x6f]),
      Buffer.from(",j@example.com\n"),
    ]);
    await expectFailed(bytes, "invalid_encoding", /Row 3/);
  });

  it("binary data fails as binary_data", async () => {
    const bytes = Buffer.concat([Buffer.from([0, 1, 2, 0]), randomBytes(4096)]);
    await expectFailed(bytes, "binary_data");
  });

  it("a header with nothing known fails as no_known_columns", async () => {
    await expectFailed("foo,bar\n1,2\n", "no_known_columns");
    // Names of Object.prototype's members are unknown columns like any other.
    await expectFailed("constructor,toString,valueOf\n1,2,3\n", "no_known_columns");
  });

  it("an attribute column named __proto__ fails as invalid_column", async () => {
    await expectFailed("name,custom_attributes.__proto__\nAna,x\n", "invalid_column", /__proto__/);
  });

  it("a header with no rows fails as no_rows", async () => {
    await expectFailed("name,email\r\n", "no_rows");
  });

  it("an empty file is refused at upload with 422 empty_file, keeping nothing", async () => {
    const { credentials, client } = await freshAccount();
    const filesBefore = await filesUnder(server.blobs.root);
    const res = await startImport("", {}, credentials);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { field: "file", code: "empty_file", message: "is empty: send a CSV file with a header row" },
    ]);
    expect((await client("GET", "/v1/imports")).body.data).toEqual([]);
    const [jobs] = await server.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM imports WHERE account_id = ${credentials.accountId}`,
    );
    expect(jobs?.n).toBe(0);
    expect(await filesUnder(server.blobs.root)).toEqual(filesBefore);
    expect(await contactCount(credentials.accountId)).toBe(0);
  });

  it("bad options are refused with 422", async () => {
    const res = await startImport("name\nx\n", { unknown_columns: "keep", match: "nope" });
    expect(res.status).toBe(422);
  });

  it("a row with more cells than the header fails as too_many_cells", async () => {
    const { credentials } = await freshAccount();
    const job = await runImport("name,email\nA,a@example.com,extra\nB,b@example.com,\n", {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", created: 1, failed: 1 });
    expect((await failedRows(job.id, credentials)).text).toContain("2,failed,too_many_cells");
  });
});

describe("imports: resuming after a crash", () => {
  it("resumes from the last committed batch with no duplicates", async () => {
    const { credentials } = await freshAccount();
    const rows = Array.from({ length: 25 }, (_, i) => `Person ${i},p${i}@example.com`);
    rows.splice(20, 0, "Dup of 3,p3@example.com");
    const csv = `name,email\n${rows.join("\n")}\n`;
    const started = await startImport(csv, {}, credentials);
    expect(
      await server.core.imports.runDue({ accountId: credentials.accountId, batchRows: 10, stopAfterBatches: 1 }),
    ).toBe(1);
    const client = httpClient(server.url, basicAuth(credentials));
    const midway = (await client("GET", `/v1/imports/${started.body.id}`)).body;
    expect(midway).toMatchObject({ status: "running", processed_rows: 10, created: 10, total_rows: 26 });
    // Nothing more runs while the lease holds; once it has run out another worker takes over.
    expect(await server.core.imports.runDue({ accountId: credentials.accountId, batchRows: 10 })).toBe(0);
    await server.db.execute(
      sql`UPDATE imports SET locked_until = now() - interval '1 second' WHERE account_id = ${credentials.accountId}`,
    );
    await server.core.imports.runDue({ accountId: credentials.accountId, batchRows: 10 });
    const job = (await client("GET", `/v1/imports/${started.body.id}`)).body;
    expect(job).toMatchObject({ status: "succeeded", total_rows: 26, created: 25, skipped: 1, failed: 0 });
    expectAccounted(job);
    expect(await contactCount(credentials.accountId)).toBe(25);
    expect((await failedRows(job.id, credentials)).text).toContain("22,skipped,duplicate_in_file,Same email as row 5");
  });

  it("gives up an import whose worker keeps dying, keeping what its committed batches wrote", async () => {
    const { credentials, client } = await freshAccount();
    const rows = Array.from({ length: 25 }, (_, i) => `Person ${i},p${i}@example.com`);
    const started = await startImport(`name,email\n${rows.join("\n")}\n`, {}, credentials);
    const id = started.body.id;
    const crashAfterOneBatch = () =>
      server.core.imports.runDue({ accountId: credentials.accountId, batchRows: 10, stopAfterBatches: 1 });
    const leaseRunsOut = (attempts: number) =>
      server.db.execute(sql`
        UPDATE imports SET attempts = ${attempts}, locked_until = now() - interval '1 second'
        WHERE account_id = ${credentials.accountId} AND id = ${Number(id)}`);
    await crashAfterOneBatch();
    // As if three more workers had claimed it and died: the fifth claim is still run.
    await leaseRunsOut(4);
    await crashAfterOneBatch();
    expect((await client("GET", `/v1/imports/${id}`)).body).toMatchObject({ status: "running", created: 20 });
    await leaseRunsOut(5);
    expect(await server.core.imports.runDue({ accountId: credentials.accountId, batchRows: 10 })).toBe(1);
    const job = (await client("GET", `/v1/imports/${id}`)).body;
    expect(job).toMatchObject({
      status: "failed",
      error: { code: "too_many_attempts", message: "Gave up after 5 attempts to run this import" },
      total_rows: 25,
      processed_rows: 20,
      created: 20,
    });
    expect(job.finished_at).not.toBeNull();
    expect(await contactCount(credentials.accountId)).toBe(20);
    expect(await server.blobs.read(await blobKeyOf(credentials.accountId, id))).toBeNull();
    expect(await server.core.imports.runDue({ accountId: credentials.accountId })).toBe(0);
    const [finished] = await server.db.query<{ data: Record<string, unknown> }>(
      sql`SELECT data FROM events WHERE account_id = ${credentials.accountId} AND type = 'import.finished'`,
    );
    expect(finished?.data).toMatchObject({ status: "failed", error: { code: "too_many_attempts" }, created: 20 });
  });

  it("streams a large file through in batches", async () => {
    const { credentials } = await freshAccount();
    const n = 3000;
    const lines = ["identifier,name"];
    for (let i = 0; i < n; i++) lines.push(`big-${i},Big ${i}`);
    const job = await runImport(`${lines.join("\n")}\n`, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: n, created: n });
    expect(await contactCount(credentials.accountId)).toBe(n);
  });
});

describe("imports: planner statistics", () => {
  // A database of its own: the refresh depends on what the statistics already count.
  const own = useServer({ background: false, isolated: true });

  it("refreshes the statistics of a table it grows by half, before the import is done", async () => {
    const planned = async () =>
      (
        await own.server.db.query<{ rows: number }>(
          sql`SELECT greatest(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = 'contacts'::regclass`,
        )
      )[0]?.rows ?? 0;
    expect(await planned()).toBeLessThan(100);
    // The first refresh is due once the import has written 2,000 rows.
    const lines = ["identifier,name"];
    for (let i = 0; i < 2500; i++) lines.push(`stat-${i},Stat ${i}`);
    const started = await upload(`${own.server.url}/v1/imports`, basicAuth(own.admin), {
      data: `${lines.join("\n")}\n`,
      filename: "contacts.csv",
      contentType: "text/csv",
    });
    expect(started.status).toBe(202);
    await own.server.core.imports.runDue({ accountId: own.admin.accountId });
    expect((await own.api("GET", `/v1/imports/${started.body.id}`)).body).toMatchObject({
      status: "succeeded",
      created: 2500,
    });
    expect(await planned()).toBeGreaterThanOrEqual(2000);
  });
});

describe("imports: duplicates across batches", () => {
  it("finds a repeat of an earlier batch's row, whether that row created or updated a contact", async () => {
    const { credentials, client } = await freshAccount();
    const existing = (
      await client("POST", "/v1/contacts", { name: "Existing", identifier: "crm-1", email: "old@example.com" })
    ).body.id;
    const csv = [
      "name,identifier,email,phone",
      "Updates existing,crm-1,,", // row 2: matches by identifier, updates
      "Creates,,new@example.com,+14155550101", // row 3: creates
      "Filler one,,f1@example.com,",
      "Filler two,,f2@example.com,",
      "Same phone as row 3,,other@example.com,+1 415 555 0101", // row 6: a key of a contact row 3 created
      "Same contact as row 2,,old@example.com,", // row 7: reaches the contact row 2 updated, by another key
      "Same identifier as row 2,crm-1,,", // row 8
    ].join("\n");
    const job = await runImport(`${csv}\n`, {}, credentials, 2);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 7, created: 3, updated: 1, skipped: 3, failed: 0 });
    const report = (await failedRows(job.id, credentials)).text;
    expect(report).toContain("6,skipped,duplicate_in_file,Same phone_number as row 3");
    expect(report).toContain(`7,skipped,duplicate_in_file,Row 2 already matched the same contact (${existing})`);
    expect(report).toContain("8,skipped,duplicate_in_file,Same identifier as row 2");
    expect(await contactCount(credentials.accountId)).toBe(4);
  });
});

describe("imports: matching existing contacts", () => {
  async function existing(client: ReturnType<typeof httpClient>, body: Record<string, unknown>): Promise<string> {
    const res = await client("POST", "/v1/contacts", body);
    expect(res.status).toBe(201);
    return res.body.id;
  }

  it("matches by identifier, then email, then phone, and fails rows whose keys disagree", async () => {
    const { credentials, client } = await freshAccount();
    const a = await existing(client, { name: "A", identifier: "crm-a", email: "a@example.com" });
    const b = await existing(client, { name: "B", email: "b@example.com" });
    const m = await existing(client, { name: "M", identifier: "crm-m", email: "m@example.com" });
    const p = await existing(client, { name: "P", email: "p-old@example.com", phone_number: "+14155550101" });
    const q = await existing(client, { name: "Q", phone_number: "+14155550102" });
    const csv = [
      "identifier,email,phone,name",
      "crm-a,b@example.com,,Two Contacts", // row 2
      "crm-new,m@example.com,,Other Identifier", // row 3
      ",p-new@example.com,+1 (415) 555-0101,Phone Match", // row 4: a new email, a known phone
      "crm-a,a@example.com,,A Renamed", // row 5
      ",b@example.com,+1 415.555.0102,Email And Phone", // row 6
    ].join("\n");
    const job = await runImport(`${csv}\n`, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 5, created: 0, updated: 2, skipped: 0, failed: 3 });
    expectAccounted(job);
    const lines = (await failedRows(job.id, credentials)).text.trim().split("\r\n");
    expect(lines.slice(1)).toEqual([
      `2,failed,ambiguous_match,identifier matches contact ${a} but email matches contact ${b},crm-a,b@example.com,,Two Contacts`,
      `3,failed,identifier_mismatch,"The email belongs to contact ${m}, which has a different identifier",crm-new,m@example.com,,Other Identifier`,
      `6,failed,ambiguous_match,email matches contact ${b} but phone_number matches contact ${q},,b@example.com,'+1 415.555.0102,Email And Phone`,
    ]);
    // Matched by its phone in another format; the new email is written to it, not made a new contact.
    expect((await client("GET", `/v1/contacts/${p}`)).body).toMatchObject({
      name: "Phone Match",
      email: "p-new@example.com",
      phone_number: "+14155550101",
    });
    expect((await client("GET", `/v1/contacts/${a}`)).body.name).toBe("A Renamed");
    expect((await client("GET", `/v1/contacts/${b}`)).body.name).toBe("B");
    expect((await client("GET", `/v1/contacts/${m}`)).body).toMatchObject({ name: "M", identifier: "crm-m" });
    expect(await contactCount(credentials.accountId)).toBe(5);
  });

  it("matches only by the keys of the match option, in its order", async () => {
    const { credentials, client } = await freshAccount();
    const a = await existing(client, { name: "A", identifier: "crm-a" });
    const b = await existing(client, { name: "B", email: "b@example.com" });
    const emailFirst = await runImport(
      "identifier,email,name\ncrm-a,b@example.com,Two Contacts\ncrm-a,,A By Identifier\n",
      { match: "email,identifier" },
      credentials,
    );
    expect(emailFirst).toMatchObject({ match: ["email", "identifier"], updated: 1, failed: 1 });
    expectAccounted(emailFirst);
    expect((await failedRows(emailFirst.id, credentials)).text).toContain(
      `2,failed,ambiguous_match,email matches contact ${b} but identifier matches contact ${a},`,
    );
    // Not matched by email, the row would be a new contact holding b's email.
    const identifierOnly = await runImport(
      "identifier,email,name\n,b@example.com,Not Matched\ncrm-a,,A Again\n",
      { match: "identifier" },
      credentials,
    );
    expect(identifierOnly).toMatchObject({ match: ["identifier"], created: 0, updated: 1, failed: 1 });
    expectAccounted(identifierOnly);
    expect((await failedRows(identifierOnly.id, credentials)).text).toContain(
      `2,failed,conflict,Another contact (${b}) already has this email,,b@example.com,Not Matched`,
    );
    expect((await client("GET", `/v1/contacts/${a}`)).body.name).toBe("A Again");
    expect((await client("GET", `/v1/contacts/${b}`)).body.name).toBe("B");
    expect(await contactCount(credentials.accountId)).toBe(2);
  });
});

describe("imports: a file exported by GET /v1/contacts/export.csv", () => {
  async function exportCsv(client: ReturnType<typeof httpClient>, query = ""): Promise<string> {
    const res = await client("GET", `/v1/contacts/export.csv${query}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  it("imports back as updates that change nothing", async () => {
    const { credentials, client } = await freshAccount();
    const people = [
      {
        name: "Ada Lovelace",
        email: "ada@example.com",
        phone_number: "+442079460018",
        identifier: "crm-1",
        labels: ["vip", "founders"],
        custom_attributes: { tier: "gold" },
      },
      { name: "Doe, John", email: "john@example.com", labels: ["b2b"], custom_attributes: { tier: 'say "hi"' } },
      { name: "Phone Only", phone_number: "+14155550101" },
      { name: "Zoë Ünïcode", identifier: "crm-2", labels: ["vip"] },
    ];
    for (const person of people) expect((await client("POST", "/v1/contacts", person)).status).toBe(201);
    const before = await exportCsv(client);
    expect(before.split("\r\n")[0]).toBe(
      "id,name,email,phone_number,identifier,labels,created_at,updated_at,last_activity_at,blocked",
    );
    const job = await runImport(before, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", total_rows: 4, created: 0, updated: 4, skipped: 0, failed: 0 });
    expect(await contactCount(credentials.accountId)).toBe(4);
    // Nothing was written: the same file (updated_at included) comes out again.
    expect(await exportCsv(client)).toBe(before);

    const withAttributes = await exportCsv(
      client,
      "?columns=identifier,email,phone_number,name,custom_attributes.tier",
    );
    const again = await runImport(withAttributes, {}, credentials);
    expect(again).toMatchObject({ status: "succeeded", total_rows: 4, created: 0, updated: 4, failed: 0 });
    expect(await exportCsv(client)).toBe(before);
  });
});

describe("imports: the failed-rows file", () => {
  it("escapes cells a spreadsheet would run as formulas, as exports do", async () => {
    const { credentials } = await freshAccount();
    const csv = [
      "name,email,company,city,country,phone",
      '"=HYPERLINK(""http://evil.example"")",not-an-email,+1-1,-2-3,@SUM(A1),+14155550101',
    ].join("\n");
    const job = await runImport(`${csv}\n`, {}, credentials);
    expect(job).toMatchObject({ status: "succeeded", failed: 1 });
    const lines = (await failedRows(job.id, credentials)).text.split("\r\n");
    expect(lines[1]).toBe(
      `2,failed,invalid_email,email: is not a valid email address,"'=HYPERLINK(""http://evil.example"")",not-an-email,'+1-1,'-2-3,'@SUM(A1),+14155550101`,
    );
  });
});

describe("imports: a key taken while the import runs", () => {
  it("redoes the batch row by row, failing only the row whose key was taken", async () => {
    const { credentials, client } = await freshAccount();
    const other = (await client("POST", "/v1/contacts", { name: "Other", email: "other@example.com" })).body.id;
    const renamed = (await client("POST", "/v1/contacts", { name: "R", email: "r@example.com" })).body.id;
    // Another writer gives contact "Other" the racer's email after the import looked the email up
    // and just before it inserts the racer. The write is undone with the import's savepoint, so it
    // happens again on the row's own retry.
    const csv =
      "name,email\nNew One,new1@example.com\nRacer,racer@example.com\nR Renamed,r@example.com\nNew Two,new2@example.com\n";
    const job = await whileAnotherWriterTakesEmails(
      credentials.accountId,
      other,
      "NEW.email = 'racer@example.com'",
      () => runImport(csv, {}, credentials),
    );
    expect(job).toMatchObject({ status: "succeeded", total_rows: 4, created: 2, updated: 1, skipped: 0, failed: 1 });
    expectAccounted(job);
    expect((await failedRows(job.id, credentials)).text.split("\r\n")[1]).toBe(
      "3,failed,conflict,Another contact took this email while the import ran,Racer,racer@example.com",
    );
    expect(await contactCount(credentials.accountId)).toBe(4);
    expect((await client("GET", `/v1/contacts/${other}`)).body.email).toBe("other@example.com");
    expect((await client("GET", `/v1/contacts/${renamed}`)).body.name).toBe("R Renamed");
    // The batch's first try was rolled back whole: each contact has its history entry once.
    const history = await server.db.query<{ action: string; n: number }>(sql`
      SELECT action, count(*)::int AS n FROM activities
      WHERE account_id = ${credentials.accountId} AND details->>'import_id' = ${String(job.id)}
      GROUP BY action ORDER BY action`);
    expect(history).toEqual([
      { action: "contact.created", n: 2 },
      { action: "contact.updated", n: 1 },
    ]);
  });
});

describe("imports: batches in flight together", () => {
  async function lookup(client: ReturnType<typeof httpClient>, email: string) {
    return (await client("GET", `/v1/contacts/lookup?email=${encodeURIComponent(email)}`)).body;
  }

  // On PostgreSQL a batch is looked up and decided while the one before it is still being written,
  // from that batch's decisions rather than its (not yet visible) writes. Batches of one or two
  // rows put every case across that boundary.

  it("a row sees the key the row before it freed and the one it took, though that batch has not committed", async () => {
    const { credentials, client } = await freshAccount();
    const moved = (
      await client("POST", "/v1/contacts", { name: "Moves", identifier: "crm-m", email: "old@example.com" })
    ).body.id;
    const csv = [
      "name,identifier,email",
      "Moves,crm-m,new@example.com", // row 2: updates the contact, freeing old@ and taking new@
      "Takes the freed email,,old@example.com", // row 3: a new contact
      "Wants the taken email,,new@example.com", // row 4: repeats row 2's key
    ].join("\n");
    const job = await runImport(`${csv}\n`, {}, credentials, 1);
    expect(job).toMatchObject({ status: "succeeded", created: 1, updated: 1, skipped: 1, failed: 0 });
    expect((await failedRows(job.id, credentials)).text).toContain("4,skipped,duplicate_in_file,Same email as row 2");
    expect((await lookup(client, "new@example.com")).id).toBe(moved);
    expect((await lookup(client, "old@example.com")).name).toBe("Takes the freed email");
  });

  it("a row sees the keys of two batches before it that have not committed", async () => {
    const { credentials } = await freshAccount();
    const csv = "name,email\nSlow,slow@example.com\nQuick,quick@example.com\nSlow again,slow@example.com\n";
    // Row 2's insert is held, so its batch is still writing when row 4's is decided: row 4 can
    // learn of slow@ only from row 2's batch, through row 3's.
    const hold = "PERFORM pg_sleep(0.5);";
    const job = await withInsertTrigger(credentials.accountId, "NEW.name = 'Slow'", hold, () =>
      runImport(csv, {}, credentials, 1),
    );
    expect(job).toMatchObject({ status: "succeeded", created: 2, updated: 0, skipped: 1, failed: 0 });
    expect((await failedRows(job.id, credentials)).text).toContain("4,skipped,duplicate_in_file,Same email as row 2");
  });

  it("links a label new to the account that several batches in flight add", async () => {
    const { credentials, client } = await freshAccount();
    const csv = ["name,email,labels", "A,a@example.com,fresh", "B,b@example.com,fresh;other", "C,c@example.com,fresh"];
    const job = await runImport(`${csv.join("\n")}\n`, {}, credentials, 1);
    expect(job).toMatchObject({ status: "succeeded", created: 3, failed: 0 });
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      expect((await lookup(client, email)).labels).toContain("fresh");
    }
    const labels = await server.db.query<{ name: string }>(
      sql`SELECT name FROM labels WHERE account_id = ${credentials.accountId} ORDER BY name`,
    );
    expect(labels.map((label) => label.name)).toEqual(["fresh", "other"]);
  });

  it("decides a batch again when the batch before it fails a row it had counted on", async () => {
    const { credentials, client } = await freshAccount();
    const other = (await client("POST", "/v1/contacts", { name: "Other", email: "other@example.com" })).body.id;
    // Another writer gives "Other" the racer's email just before the import inserts the racer, so
    // row 3 fails after its batch decided to create it; the next batch had read row 3's email as
    // taken by it, and must find it free.
    const csv =
      "name,email\nNew One,new1@example.com\nRacer,racer@example.com\nRacer Again,racer@example.com\nNew Two,new2@example.com\n";
    const job = await whileAnotherWriterTakesEmails(credentials.accountId, other, "NEW.name = 'Racer'", () =>
      runImport(csv, {}, credentials, 2),
    );
    expect(job).toMatchObject({ status: "succeeded", total_rows: 4, created: 3, updated: 0, skipped: 0, failed: 1 });
    expect((await failedRows(job.id, credentials)).text.split("\r\n").slice(1, -1)).toEqual([
      "3,failed,conflict,Another contact took this email while the import ran,Racer,racer@example.com",
    ]);
    expect((await lookup(client, "racer@example.com")).name).toBe("Racer Again");
    expect((await client("GET", `/v1/contacts/${other}`)).body.email).toBe("other@example.com");
  });
});

describe("imports: tenancy", () => {
  it("another account cannot see an import or its failed rows", async () => {
    const job = await runImport("name,email\nMine,mine@example.com\nbad,bad\n");
    const other = await newAccount(server.db);
    const client = httpClient(server.url, basicAuth(other));
    expect((await client("GET", `/v1/imports/${job.id}`)).status).toBe(404);
    expect((await failedRows(job.id, other)).status).toBe(404);
    expect((await client("GET", "/v1/imports")).body.data).toEqual([]);
    expect((await contactBy("mine@example.com")).email).toBe("mine@example.com");
  });
});

describe("an import's events", () => {
  /** Each event of the account's contacts, with whether it is still waiting for the dispatcher. */
  async function eventsOf(accountId: number) {
    return server.db.query<{ type: string; undispatched: boolean }>(sql`
      SELECT type, dispatched_at IS NULL AS undispatched
      FROM events WHERE account_id = ${accountId} AND contact_id IS NOT NULL ORDER BY id`);
  }

  async function historyOf(accountId: number): Promise<string[]> {
    const rows = await server.db.query<{ action: string }>(
      sql`SELECT action FROM activities WHERE account_id = ${accountId} ORDER BY id`,
    );
    return rows.map((row) => row.action);
  }

  async function deliveriesOf(accountId: number, webhookId: string): Promise<string[]> {
    const rows = await server.db.query<{ type: string }>(sql`
      SELECT e.type FROM webhook_deliveries d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id
      WHERE d.account_id = ${accountId} AND d.webhook_id = ${Number(webhookId)} ORDER BY e.id`);
    return rows.map((row) => row.type);
  }

  const NEW_PEOPLE = "name,email\nAda,ada@example.com\nBo,bo@example.com\nCy,cy@example.com\n";

  it("writes no event for a change nobody can hear, and leaves the rest to the dispatcher", async () => {
    const { credentials } = await freshAccount();
    expect(await runImport(NEW_PEOPLE, {}, credentials)).toMatchObject({ created: 3 });
    // No webhook, and a creation notifies nobody: history entries, but no event.
    expect(await historyOf(credentials.accountId)).toEqual(Array(3).fill("contact.created"));
    expect(await eventsOf(credentials.accountId)).toEqual([]);
    // An update can concern the contact's followers: its event waits for the dispatcher.
    expect(await runImport("name,email\nAda Lovelace,ada@example.com\n", {}, credentials)).toMatchObject({
      updated: 1,
    });
    expect(await eventsOf(credentials.accountId)).toEqual([{ type: "contact.updated", undispatched: true }]);
  });

  it("leaves the events an active webhook subscribes to for the dispatcher, which delivers each", async () => {
    const { credentials, client } = await freshAccount();
    const created = await client("POST", "/v1/webhooks", {
      url: "https://hooks.example.com/a",
      events: ["contact.created"],
    });
    const updated = await client("POST", "/v1/webhooks", {
      url: "https://hooks.example.com/b",
      events: ["contact.updated"],
    });
    expect([created.status, updated.status]).toEqual([201, 201]);
    expect(await runImport(NEW_PEOPLE, {}, credentials)).toMatchObject({ created: 3 });
    expect(await eventsOf(credentials.accountId)).toEqual(
      Array(3).fill({ type: "contact.created", undispatched: true }),
    );
    await server.core.events.dispatchAll();
    expect(await deliveriesOf(credentials.accountId, created.body.id)).toEqual(Array(3).fill("contact.created"));
    expect(await deliveriesOf(credentials.accountId, updated.body.id)).toEqual([]);

    // Once the endpoint is paused, nobody hears of a creation again.
    await client("PATCH", `/v1/webhooks/${created.body.id}`, { active: false });
    expect(await runImport("name,email\nDi,di@example.com\n", {}, credentials)).toMatchObject({ created: 1 });
    expect(await historyOf(credentials.accountId)).toEqual(Array(4).fill("contact.created"));
    expect(await eventsOf(credentials.accountId)).toHaveLength(3);
  });

  it("makes a webhook change wait for a batch that decided from the subscriptions", async () => {
    const { credentials, client } = await freshAccount();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const batch = server.db.transaction(async (tx) => {
      await lockSubscriptions(tx, credentials.accountId, "shared");
      locked();
      await released;
    });
    await isLocked;
    let answered = false;
    const creating = client("POST", "/v1/webhooks", { url: "https://hooks.example.com/c", events: ["*"] }).then(
      (res) => {
        answered = true;
        return res;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    release();
    await batch;
    expect((await creating).status).toBe(201);
  });
});

describe("imports: size limit", () => {
  const small = useServer({ background: false, maxImportBytes: 1024 });

  it("refuses a file past the limit with 413 and keeps nothing", async () => {
    const csv = `name,email\n${"x".repeat(2000)},big@example.com\n`;
    const res = await upload(`${small.server.url}/v1/imports`, basicAuth(small.admin), {
      data: csv,
      filename: "big.csv",
      contentType: "text/csv",
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", message: "file: must be at most 1024 bytes" });
    const [row] = await small.server.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM imports WHERE account_id = ${small.admin.accountId}`,
    );
    expect(row?.n).toBe(0);
    expect((await small.api("GET", "/v1/imports")).body.data).toEqual([]);
    // Neither the bytes received before the limit (staged) nor a committed file stays on disk.
    expect(await filesUnder(small.server.blobs.root)).toEqual([]);
    const [contacts] = await small.server.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${small.admin.accountId}`,
    );
    expect(contacts?.n).toBe(0);
  });
});
