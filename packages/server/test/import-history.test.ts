import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contactChanges } from "../src/core/activities/changes.js";
import type { Attributes, ContactColumns } from "../src/core/contacts/contact.js";
import { columnsForNewContact } from "../src/core/contacts/prepare.js";
import { type CreatedContact, insertContactsWithHistory, nextContactIds } from "../src/store/contact-bulk.js";
import type { Database } from "../src/store/database.js";
import { sql } from "../src/store/sql.js";
import { backend, newAccount, openTestDatabase } from "./harness.js";

// An import's created contacts get their history entries from the database (one statement with
// the insert); these must say exactly what core says of a contact it creates.

/** JSON values the contacts table accepts (jsonb has no NUL character), never null at the top. */
const attributeValue = fc
  .jsonValue({ maxDepth: 2, stringUnit: "grapheme" })
  .filter((value) => value !== null && !JSON.stringify(value).includes("\\u0000"));

const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.oneof(fc.string({ unit: "grapheme", maxLength: 8 }), fc.constantFrom("0", "12", "plan", 'a"b', "a\\b", "")),
  attributeValue,
  { maxKeys: 4 },
);

const text = (maxLength: number) =>
  fc.string({ unit: "grapheme", minLength: 1, maxLength }).filter((value) => !value.includes("\u0000"));

/** A new contact's columns; `n` keeps its keys apart from the batch's other rows. */
const columns = (n: number): fc.Arbitrary<ContactColumns> =>
  fc.record({
    name: fc.oneof(fc.constant(""), text(40)),
    email: fc.option(fc.constant(`person-${n}@example.com`)),
    phoneE164: fc.option(fc.constant(`+1555${String(n).padStart(7, "0")}`)),
    phoneRaw: fc.option(text(20)),
    identifier: fc.option(fc.constant(`crm-${n}`)),
    avatarUrl: fc.option(fc.constant(`https://cdn.example.com/${n}.png`)),
    additionalAttributes: attributes,
    customAttributes: attributes,
    blocked: fc.boolean(),
  });

const batch = fc
  .integer({ min: 1, max: 5 })
  .chain((size) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: size }, (_, n) => columns(n))),
      fc.array(fc.constantFrom("vip", "lead", "b2b"), { maxLength: 3 }),
      fc.boolean(),
    ),
  );

describe(`history entries of an import's created contacts on ${backend}`, () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.close());

  async function written(rows: ContactColumns[], labels: string[], withEvent: boolean) {
    const account = await newAccount(db);
    const ids = await nextContactIds(db, rows.length);
    const created: CreatedContact[] = rows.map((row, i) => ({
      id: ids[i] as number,
      columns: row,
      labels,
      importRow: i + 2,
    }));
    const entry = { actorId: account.userId, importId: "77", withEvent };
    await db.transaction((tx) => insertContactsWithHistory(tx, account.accountId, created, entry));
    const history = await db.query<{ contact_id: number; action: string; actor_id: number; details: any }>(sql`
      SELECT contact_id, action, actor_id, details FROM activities
      WHERE account_id = ${account.accountId} ORDER BY contact_id`);
    const events = await db.query<{ contact_id: number; type: string; data: any }>(sql`
      SELECT contact_id, type, data FROM events WHERE account_id = ${account.accountId} ORDER BY contact_id`);
    // As core's details read back once stored: through JSON text (-0 is written 0, as JSON has it).
    const expected = created.map((row) => ({
      contact_id: row.id,
      details: JSON.parse(
        JSON.stringify({
          changes: contactChanges(columnsForNewContact({}), row.columns),
          labels,
          import_id: "77",
          import_row: row.importRow,
        }),
      ),
    }));
    return { account, history, events, expected };
  }

  it("say what core says of a contact it creates, for any columns and attributes", async () => {
    await fc.assert(
      fc.asyncProperty(batch, async ([rows, labels, withEvent]) => {
        const { account, history, events, expected } = await written(rows, labels, withEvent);
        expect(history).toEqual(
          expected.map((entry) => ({ ...entry, action: "contact.created", actor_id: account.userId })),
        );
        // The entry's fields come in core's order too: its fields, then each hash in its own order.
        expect(history.map((entry) => Object.keys(entry.details.changes))).toEqual(
          expected.map((entry) => Object.keys(entry.details.changes)),
        );
        expect(events).toEqual(
          withEvent
            ? expected.map((entry) => ({ contact_id: entry.contact_id, type: "contact.created", data: entry.details }))
            : [],
        );
      }),
      { numRuns: 60, seed: Number(process.env.IMPORT_HISTORY_SEED ?? 20261207) },
    );
  });

  it("store the contacts themselves as given", async () => {
    const row: ContactColumns = {
      name: 'Zoë "Z" Ångström',
      email: "zoe@example.com",
      phoneE164: "+4915112345678",
      phoneRaw: "0151 1234 5678",
      identifier: "crm-zoe",
      avatarUrl: null,
      additionalAttributes: { city: "Köln", "2": [1, { a: true }] },
      customAttributes: { plan: "pro", ltv: 12.5 },
      blocked: true,
    };
    const { account, history } = await written([row], ["vip"], false);
    const [stored] = await db.query<Record<string, unknown>>(sql`
      SELECT name, email, phone_e164, phone_raw, identifier, avatar_url, additional_attributes, custom_attributes, blocked
      FROM contacts WHERE account_id = ${account.accountId}`);
    expect(stored).toEqual({
      name: row.name,
      email: row.email,
      phone_e164: row.phoneE164,
      phone_raw: row.phoneRaw,
      identifier: row.identifier,
      avatar_url: null,
      additional_attributes: row.additionalAttributes,
      custom_attributes: row.customAttributes,
      blocked: true,
    });
    expect(history[0]?.details.changes).toEqual({
      name: { from: "", to: row.name },
      email: { from: null, to: row.email },
      phone_number: { from: null, to: row.phoneE164 },
      identifier: { from: null, to: row.identifier },
      blocked: { from: false, to: true },
      "additional_attributes.2": { from: null, to: [1, { a: true }] },
      "additional_attributes.city": { from: null, to: "Köln" },
      "custom_attributes.plan": { from: null, to: "pro" },
      "custom_attributes.ltv": { from: null, to: 12.5 },
    });
  });
});
