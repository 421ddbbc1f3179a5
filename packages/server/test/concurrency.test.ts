import { describe, expect, it } from "vitest";
import { linkLabelsByName } from "../src/store/contact-bulk.js";
import { sql } from "../src/store/sql.js";
import { backend, type httpClient, useServer } from "./harness.js";

type Api = ReturnType<typeof httpClient>;

/** Optimistic concurrency (ETag / If-Match) and what parallel writers of the same contact get. */
describe("contact versions and concurrent writers", () => {
  const fixture = useServer();

  async function create(api: Api, body: Record<string, unknown>): Promise<{ id: string; etag: string }> {
    const answer = await api("POST", "/v1/contacts", body);
    expect(answer.status).toBe(201);
    return { id: answer.body.id, etag: answer.headers.get("etag") as string };
  }

  async function countWhere(condition: ReturnType<typeof sql>): Promise<number> {
    const [row] = await fixture.server.db.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${fixture.admin.accountId} AND ${condition}`,
    );
    return row?.n ?? -1;
  }

  it("sends a strong ETag that changes with every change and answers If-None-Match with 304", async () => {
    const { api } = fixture;
    const { id, etag } = await create(api, { name: "Versioned" });
    expect(etag).toMatch(/^"[0-9]+\.[0-9a-z]+\.[0-9a-z]+"$/);
    const read = await api("GET", `/v1/contacts/${id}`);
    expect(read.headers.get("etag")).toBe(etag);
    const cached = await api("GET", `/v1/contacts/${id}`, undefined, { "if-none-match": etag });
    expect(cached.status).toBe(304);
    expect(cached.body).toBeUndefined();
    expect((await api("GET", `/v1/contacts/${id}`, undefined, { "if-none-match": `W/${etag}` })).status).toBe(304);
    expect((await api("GET", `/v1/contacts/${id}`, undefined, { "if-none-match": '"other"' })).status).toBe(200);

    const renamed = await api("PATCH", `/v1/contacts/${id}`, { name: "Versioned 2" });
    expect(renamed.headers.get("etag")).not.toBe(etag);
    // A label change is a change of the representation too, though it is another table's row.
    const labelled = await api("POST", `/v1/contacts/${id}/labels`, { labels: ["vip"] });
    expect(labelled.status).toBeLessThan(300);
    const after = await api("GET", `/v1/contacts/${id}`);
    expect(after.headers.get("etag")).not.toBe(renamed.headers.get("etag"));
    expect((await api("GET", `/v1/contacts/${id}`, undefined, { "if-none-match": etag })).status).toBe(200);
    // An import links labels without writing the contact's row when its columns are unchanged.
    await linkLabelsByName(fixture.server.db, fixture.admin.accountId, [{ contactId: Number(id), label: "imported" }]);
    const imported = await api("GET", `/v1/contacts/${id}`);
    expect(imported.body.labels).toEqual(["imported", "vip"]);
    expect(imported.headers.get("etag")).not.toBe(after.headers.get("etag"));
  });

  it("applies a write with If-Match only at that version: 412 and no change otherwise", async () => {
    const { api } = fixture;
    const { id, etag } = await create(api, { name: "Before", email: "if-match@example.com" });
    const updated = await api("PATCH", `/v1/contacts/${id}`, { name: "After" }, { "if-match": etag });
    expect(updated.status).toBe(200);
    const current = updated.headers.get("etag") as string;

    const stale = await api("PATCH", `/v1/contacts/${id}`, { name: "Lost" }, { "if-match": etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ type: "conflict_error", code: "precondition_failed" });
    expect(stale.body.error.request_id).toEqual(expect.any(String));
    for (const header of [`W/${current}`, current.slice(1, -1), '"nope"']) {
      expect((await api("PUT", `/v1/contacts/${id}`, { name: "Lost" }, { "if-match": header })).status).toBe(412);
    }
    expect((await api("DELETE", `/v1/contacts/${id}`, undefined, { "if-match": etag })).status).toBe(412);
    const unchanged = await api("GET", `/v1/contacts/${id}`);
    expect(unchanged.body.name).toBe("After");
    expect(unchanged.headers.get("etag")).toBe(current);

    const listed = await api("PATCH", `/v1/contacts/${id}`, { name: "Listed" }, { "if-match": `"x", ${current}` });
    expect(listed.status).toBe(200);
    expect((await api("PATCH", `/v1/contacts/${id}`, { name: "Any" }, { "if-match": "*" })).status).toBe(200);
    expect((await api("PATCH", "/v1/contacts/999999999", { name: "Any" }, { "if-match": "*" })).status).toBe(404);
    const deleted = await api("DELETE", `/v1/contacts/${id}`, undefined, {
      "if-match": (await api("GET", `/v1/contacts/${id}`)).headers.get("etag") as string,
    });
    expect(deleted.status).toBe(200);
  });

  it("lets exactly one of 20 writers holding the same version win; the others get 412", async () => {
    const { api } = fixture;
    const { id, etag } = await create(api, { name: "Contended", custom_attributes: { n: 0 } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        api("PATCH", `/v1/contacts/${id}`, { custom_attributes: { n: n + 1 } }, { "if-match": etag }),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.status === 412)).toHaveLength(19);
    const stored = await api("GET", `/v1/contacts/${id}`);
    expect(stored.body.custom_attributes.n).toBe(won[0]?.body.custom_attributes.n);
    const history = await api("GET", `/v1/contacts/${id}/activities?limit=100`);
    expect(history.body.data.filter((a: { action: string }) => a.action === "contact.updated")).toHaveLength(1);
  });

  it("keeps every update of 20 parallel writers without If-Match: none is lost", async () => {
    const { api } = fixture;
    const { id } = await create(api, { name: "Merged attributes" });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => api("PATCH", `/v1/contacts/${id}`, { custom_attributes: { [`k${n}`]: n } })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const stored = await api("GET", `/v1/contacts/${id}`);
    expect(Object.keys(stored.body.custom_attributes).sort()).toEqual(
      Array.from({ length: 20 }, (_, n) => `k${n}`).sort(),
    );
  });

  for (const [field, value] of [
    ["email", "same-person@example.com"],
    ["phone_number", "+14155550199"],
    ["identifier", "same-person-42"],
  ] as const) {
    it(`creates one contact from 50 parallel creates with the same ${field}; the other 49 get 409`, async () => {
      const { api } = fixture;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, n) => api("POST", "/v1/contacts", { name: `Racer ${n}`, [field]: value })),
      );
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(1);
      const conflicts = answers.filter((a) => a.status === 409);
      expect(conflicts).toHaveLength(49);
      for (const conflict of conflicts) {
        expect(conflict.body.error).toMatchObject({ type: "conflict_error", existing_id: created[0]?.body.id });
      }
      const column = field === "phone_number" ? "phone_e164" : field;
      expect(await countWhere(sql`${sql.raw(column)} = ${value}`)).toBe(1);
    });
  }

  it("merges in parallel into a consistent end state: every contact either kept or merged once", async () => {
    const { api } = fixture;
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) ids.push((await create(api, { name: `Merge ${n}`, labels: [`m${n}`] })).id);
    // Every ordered pair at once, both directions: many must fail, none may half-happen.
    const pairs = ids.flatMap((base) => ids.filter((other) => other !== base).map((mergee) => [base, mergee]));
    const answers = await Promise.all(
      pairs.map(([base, mergee]) =>
        api("POST", "/v1/contacts/merge", { base_contact_id: base, mergee_contact_id: mergee }),
      ),
    );
    expect(answers.every((a) => [200, 404, 410].includes(a.status))).toBe(true);
    const merges = answers.filter((a) => a.status === 200);
    // Six contacts end as one survivor after exactly five successful merges.
    expect(merges).toHaveLength(5);
    const live: Array<{ labels: string[] }> = [];
    for (const id of ids) {
      const read = await api("GET", `/v1/contacts/${id}`);
      if (read.status === 200) live.push(read.body);
      else expect(read.status).toBe(410);
    }
    expect(live).toHaveLength(1);
    expect([...live[0].labels].sort()).toEqual(ids.map((_, n) => `m${n}`).sort());
  });

  // PGlite serves one connection at a time, so only PostgreSQL can deadlock.
  it.skipIf(backend !== "postgres")(
    "answers a request that lost a deadlock 409 concurrent_change, having changed nothing",
    async () => {
      const { api, server } = fixture;
      const first = await create(api, { name: "Deadlock base", labels: ["kept"] });
      const second = await create(api, { name: "Deadlock mergee", email: "deadlock@example.com" });
      const [low, high] = [Number(first.id), Number(second.id)].sort((a, b) => a - b);
      const lock = (id: number) =>
        sql`SELECT id FROM contacts WHERE account_id = ${fixture.admin.accountId} AND id = ${id} FOR UPDATE`;
      let merge: Promise<{ status: number; body: any }> | undefined;
      // This session holds the higher id; the merge locks the lower one and waits for it; then this
      // session asks for the lower one. PostgreSQL ends the cycle in the session that waited
      // deadlock_timeout first: the merge's (1 s), since this one waits 30 s.
      await server.db.transaction(async (tx) => {
        await tx.exec("SET LOCAL deadlock_timeout = '30s'");
        const [me] = await tx.query<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
        await tx.query(lock(high));
        merge = api("POST", "/v1/contacts/merge", { base_contact_id: first.id, mergee_contact_id: second.id });
        // Until the merge waits for this session.
        for (let waiting = 0; waiting === 0; ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const [row] = await server.db.query<{ n: number }>(sql`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${me?.pid}::int = ANY (pg_blocking_pids(pid))`);
          waiting = row?.n ?? 0;
        }
        await tx.query(lock(low));
      });
      const answer = await (merge as Promise<{ status: number; body: any }>);
      expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({
        status: 409,
        code: "concurrent_change",
      });
      // Nothing of the merge happened: both contacts are there as they were.
      expect((await api("GET", `/v1/contacts/${second.id}`)).status).toBe(200);
      const base = await api("GET", `/v1/contacts/${first.id}`);
      expect(base.headers.get("etag")).toBe(first.etag);
      expect(base.body.email).toBeNull();
    },
  );
});
