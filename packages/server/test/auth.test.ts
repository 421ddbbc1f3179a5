import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  basicAuth,
  type Credentials,
  httpClient,
  newAccount,
  newAgent,
  startServer,
  type TestServer,
} from "./harness.js";

describe("authentication and roles", () => {
  let server: TestServer;
  let admin: Credentials;
  let agent: Credentials;

  beforeAll(async () => {
    server = await startServer();
    admin = await newAccount(server.db);
    agent = await newAgent(server, admin);
  });
  afterAll(() => server.close());

  const as = (authorization?: string) => httpClient(server.url, authorization);

  it("accepts Basic key:secret and Bearer key.secret", async () => {
    for (const authorization of [basicAuth(admin), `Bearer ${admin.token}`, `bearer ${admin.token}`]) {
      const res = await as(authorization)("GET", "/v1/me");
      expect(res.status, authorization).toBe(200);
      expect(res.body).toMatchObject({
        object_name: "me",
        user: { id: String(admin.userId), role: "administrator" },
        organization: { id: String(admin.accountId) },
        api_key_id: String(admin.keyId),
      });
    }
  });

  it("answers 401 in the error shape for missing, malformed or wrong credentials", async () => {
    const bad = [
      undefined,
      "Basic",
      "Basic !!!",
      basicAuth({ key: admin.key, secret: "wrong-secret" }),
      basicAuth({ key: "ck_doesnotexist", secret: admin.secret }),
      basicAuth({ key: "x", secret: "y" }),
      `Bearer ${admin.key}`,
      `Bearer ${admin.key}.wrong`,
      `Token ${admin.token}`,
      `Basic ${Buffer.from(`${admin.key}:${"s".repeat(5000)}`).toString("base64")}`,
    ];
    for (const authorization of bad) {
      const res = await as(authorization)("GET", "/v1/contacts");
      expect(res.status, String(authorization)).toBe(401);
      expect(res.body.error).toMatchObject({ type: "authentication_error", code: "unauthenticated" });
      expect(res.headers.get("www-authenticate")).toContain("Basic");
    }
  });

  it("still refuses a secret one character off after the right one was accepted", async () => {
    const last = admin.secret.at(-1) === "a" ? "b" : "a";
    const nearMiss = basicAuth({ key: admin.key, secret: `${admin.secret.slice(0, -1)}${last}` });
    for (const authorization of [basicAuth(admin), basicAuth(admin), nearMiss, `Bearer ${admin.key}.${"x"}`]) {
      const expected = authorization === basicAuth(admin) ? 200 : 401;
      expect((await as(authorization)("GET", "/v1/me")).status, authorization).toBe(expected);
    }
    expect((await as(basicAuth(admin))("GET", "/v1/me")).status).toBe(200);
  });

  it("checks credentials before anything else, so bad requests from strangers learn nothing", async () => {
    const res = await as()("POST", "/v1/contacts", "{not json", { "content-type": "application/json" });
    expect(res.status).toBe(401);
  });

  it("lets administrators manage users and keys, and agents not", async () => {
    const adminApi = as(basicAuth(admin));
    const agentApi = as(basicAuth(agent));
    const user = await adminApi("POST", "/v1/users", {
      name: "Second Agent",
      email: "Agent2@Example.com",
      role: "agent",
    });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({
      object_name: "user",
      name: "Second Agent",
      email: "agent2@example.com",
      role: "agent",
    });
    const key = await adminApi("POST", `/v1/users/${user.body.id}/api_keys`, { name: "integration" });
    expect(key.status).toBe(201);
    expect(key.body.secret).toBeTruthy();
    expect(key.body.token).toBe(`${key.body.key}.${key.body.secret}`);
    const listed = await adminApi("GET", "/v1/api_keys");
    const stored = listed.body.data.find((k: { id: string }) => k.id === key.body.id);
    expect(stored).toMatchObject({ name: "integration", role: "agent" });
    expect(stored.secret).toBeUndefined();
    expect(JSON.stringify(listed.body)).not.toContain(key.body.secret);
    expect((await adminApi("GET", "/v1/users")).body.data.length).toBeGreaterThanOrEqual(3);

    for (const [method, path, body] of [
      ["GET", "/v1/users", undefined],
      ["POST", "/v1/users", { name: "x", role: "administrator" }],
      ["POST", `/v1/users/${user.body.id}/api_keys`, {}],
      ["GET", "/v1/api_keys", undefined],
      ["DELETE", `/v1/api_keys/${key.body.id}`, undefined],
    ] as const) {
      const res = await agentApi(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.type).toBe("permission_error");
    }
    expect((await as(`Bearer ${key.body.token}`)("GET", "/v1/me")).status).toBe(200);
  });

  it("refuses a duplicate user email and unknown roles", async () => {
    const adminApi = as(basicAuth(admin));
    await adminApi("POST", "/v1/users", { name: "Dup", email: "dup-user@example.com", role: "agent" });
    const again = await adminApi("POST", "/v1/users", { name: "Dup", email: "dup-user@example.com", role: "agent" });
    expect(again.status).toBe(409);
    const badRole = await adminApi("POST", "/v1/users", { name: "X", role: "owner" });
    expect(badRole.status).toBe(422);
    expect(badRole.body.error.details[0]).toMatchObject({ field: "role", code: "invalid_value" });
  });

  it("makes a revoked key fail at once", async () => {
    const adminApi = as(basicAuth(admin));
    const user = (await adminApi("POST", "/v1/users", { name: "Leaver", role: "agent" })).body;
    const key = (await adminApi("POST", `/v1/users/${user.id}/api_keys`, {})).body;
    const leaver = as(`Bearer ${key.token}`);
    expect((await leaver("GET", "/v1/contacts")).status).toBe(200);
    const revoked = await adminApi("DELETE", `/v1/api_keys/${key.id}`);
    expect(revoked.body.revoked_at).toBeTruthy();
    expect((await leaver("GET", "/v1/contacts")).status).toBe(401);
  });

  it("stores secrets only as salted hashes", async () => {
    const rows = await server.db.query<{ secret_hash: Uint8Array; secret_salt: Uint8Array }>(
      (await import("../src/store/sql.js"))
        .sql`SELECT secret_hash, secret_salt FROM credentials WHERE key = ${admin.key}`,
    );
    const row = rows[0]!;
    expect(Buffer.from(row.secret_hash).toString("utf8")).not.toContain(admin.secret);
    expect(Buffer.from(row.secret_hash)).toHaveLength(32);
    expect(Buffer.from(row.secret_salt)).toHaveLength(16);
  });
});
