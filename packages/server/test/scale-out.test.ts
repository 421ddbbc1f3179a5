import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend, basicAuth, freshDatabase, httpClient } from "./harness.js";
import { buildServer, type Started, start, stop } from "./processes.js";
import { openSse } from "./sse-reader.js";
import { startReceiver } from "./webhook-receiver.js";

/**
 * Two server processes on one PostgreSQL: live notifications reach a stream on either process,
 * whichever process made the change, each webhook delivery is made by exactly one of them, and a
 * key revoked through one is refused by the other.
 */
describe.skipIf(backend !== "postgres")("two server processes on one database", () => {
  const admin = { key: "ck_scaleout_admin", secret: "scale-out-secret-0123456789" };
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let one: Started;
  let two: Started;

  beforeAll(async () => {
    buildServer();
    database = await freshDatabase();
    const env = {
      DATABASE_URL: database.url,
      CONTACTD_ADMIN_KEY: admin.key,
      CONTACTD_ADMIN_SECRET: admin.secret,
      CONTACTD_WEBHOOK_RETRY_BASE_MS: "20",
    };
    one = await start(env);
    two = await start(env);
  }, 120_000);
  afterAll(async () => {
    if (one) await stop(one);
    if (two) await stop(two);
    await database?.drop();
  });

  it("deliver live notifications to streams on both, and each webhook exactly once", async () => {
    const viaOne = httpClient(one.url, basicAuth(admin));
    const viaTwo = httpClient(two.url, basicAuth(admin));
    const user = (await viaOne("POST", "/v1/users", { name: "Agent", role: "agent" })).body;
    const agent = (await viaOne("POST", `/v1/users/${user.id}/api_keys`, {})).body;
    // Every fifth request fails, so retries happen too, and may be picked up by either process.
    let calls = 0;
    const hook = await startReceiver(() => (calls++ % 5 === 4 ? 500 : 200));
    try {
      await viaTwo("POST", "/v1/webhooks", { url: hook.url, events: ["contact.created"] });
      const streams = [
        await openSse(`${one.url}/v1/notifications/stream`, { authorization: basicAuth(agent) }),
        await openSse(`${two.url}/v1/notifications/stream`, { authorization: basicAuth(agent) }),
      ];
      for (const stream of streams) await stream.waitFor((events) => events.some((e) => e.event === "ready"));

      const contact = (await viaOne("POST", "/v1/contacts", { name: "Shared" })).body.id;
      for (let i = 0; i < 6; i++) {
        const via = i % 2 === 0 ? viaOne : viaTwo;
        await via("POST", `/v1/contacts/${contact}/comments`, {
          text: `note ${i} [@Agent](mention://user/${user.id}/Agent)`,
        });
      }
      for (const stream of streams) await stream.waitFor(() => stream.notifications().length === 6);
      const [first, second] = streams.map((stream) => stream.notifications().map((n) => n.id));
      expect(first).toEqual(second);
      expect(new Set(first).size).toBe(6);

      const creates = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? viaOne : viaTwo)("POST", "/v1/contacts", { name: `Parallel ${i}` }),
      );
      expect((await Promise.all(creates)).every((answer) => answer.status === 201)).toBe(true);
      await hook.waitFor(() => hook.accepted().length >= 41, 30_000);
      // Anything sent twice would arrive within a lease; wait out a few poll rounds to see it.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const accepted = hook.accepted().map((r) => r.id);
      expect(accepted).toHaveLength(41);
      expect(new Set(accepted).size).toBe(41);
      for (const stream of streams) await stream.close();
    } finally {
      await hook.close();
    }
  }, 60_000);

  it("stop a key revoked through one process on the other at once, although it had just served it", async () => {
    const viaOne = httpClient(one.url, basicAuth(admin));
    const me = (await viaOne("GET", "/v1/me")).body.user.id;
    const issued = (await viaOne("POST", `/v1/users/${me}/api_keys`, { name: "short-lived" })).body;
    const asKeyOnTwo = httpClient(two.url, basicAuth(issued));
    // Served, and so remembered, by the second process.
    for (let i = 0; i < 3; i++) expect((await asKeyOnTwo("GET", "/v1/contacts?limit=1")).status).toBe(200);
    expect((await viaOne("DELETE", `/v1/api_keys/${issued.id}`)).status).toBe(200);
    // The NOTIFY travels through the database: allow it a moment, far below the cache's lifetime.
    let status = 0;
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && status !== 401) {
      status = (await asKeyOnTwo("GET", "/v1/contacts?limit=1")).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(401);
  });
});
