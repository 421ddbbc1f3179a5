import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAccount, startServer, type TestServer } from "../../server/test/harness.js";
import { Contactd, GoneError, NotFoundError, UnprocessableEntityError } from "../src/index.js";

/** contacts.merge against the real server: the seed's base/mergee call, dry runs, and GoneError afterwards. */

let server: TestServer;
let client: Contactd;

beforeAll(async () => {
  server = await startServer();
  const admin = await newAccount(server.db);
  client = new Contactd({ baseUrl: server.url, token: admin.token });
});

afterAll(async () => {
  await server?.close();
});

describe("contacts.merge", () => {
  it("keeps the base, fills its blanks from the mergee, and retires the mergee's id", async () => {
    const base = await client.contacts.create({ name: "Kept", labels: ["vip"] });
    const mergee = await client.contacts.create({ name: "Merged", email: "merged@example.com", labels: ["lead"] });
    await client.contacts.comments.create(mergee.id, { text: "moves along" });

    const preview = await client.contacts.merge({
      base_contact_id: base.id,
      mergee_contact_id: mergee.id,
      dry_run: true,
    });
    expect(preview).toMatchObject({ dry_run: true, contact: { id: base.id, email: "merged@example.com" } });
    expect((await client.contacts.get(mergee.id)).name).toBe("Merged");

    const merged = await client.contacts.merge({ base_contact_id: base.id, mergee_contact_id: Number(mergee.id) });
    expect(merged).toMatchObject({
      object_name: "contact_merge",
      dry_run: false,
      merged_contact_id: mergee.id,
      contact: { id: base.id, name: "Kept", email: "merged@example.com", labels: ["lead", "vip"] },
      moved: { comments: 1, labels: 1 },
    });
    const gone = await client.contacts.get(mergee.id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(GoneError);
    expect(gone).toMatchObject({ status: 410, code: "contact_merged", mergedInto: base.id });
    expect((await client.contacts.getComments(base.id)).data.map((c) => c.text)).toEqual(["moves along"]);
  });

  it("throws typed errors for a self-merge and an unknown contact", async () => {
    const one = await client.contacts.create({ name: "One" });
    await expect(client.contacts.merge({ base_contact_id: one.id, mergee_contact_id: one.id })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
    await expect(
      client.contacts.merge({ base_contact_id: one.id, mergee_contact_id: "999999999" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
