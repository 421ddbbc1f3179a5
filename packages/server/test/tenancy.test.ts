import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, type Credentials, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

interface Route {
  method: string;
  path: string;
}

/** Every /v1 route, read from the API description that the route table generates. */
async function nativeRoutes(server: TestServer): Promise<Route[]> {
  const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, object> };
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
}

const BODIES: Record<string, unknown> = {
  "POST /v1/contacts": { name: "Intruder", email: "owner@example.com" },
  "PATCH /v1/contacts/{id}": { name: "Hijacked" },
  "PUT /v1/contacts/{id}": { name: "Hijacked" },
  "PUT /v1/contacts/{id}/labels": { labels: ["stolen"] },
  "POST /v1/contacts/{id}/labels": { labels: ["stolen"] },
  "DELETE /v1/contacts/{id}/labels": { labels: ["secret"] },
  "POST /v1/users": { name: "Intruder", role: "agent" },
  "POST /v1/users/{id}/api_keys": {},
};

describe("tenancy: every route, another account's credentials", () => {
  let server: TestServer;
  let owner: Credentials;
  let intruder: Credentials;
  let ownerApi: ReturnType<typeof httpClient>;
  let contactId: string;

  beforeAll(async () => {
    server = await startServer();
    owner = await newAccount(server.db);
    intruder = await newAccount(server.db);
    ownerApi = httpClient(server.url, basicAuth(owner));
    const created = await ownerApi("POST", "/v1/contacts", {
      name: "Owner's Secret Contact",
      email: "owner@example.com",
      identifier: "owner-1",
      labels: ["secret"],
    });
    contactId = created.body.id;
  });
  afterAll(() => server.close());

  it("covers the routes it knows the bodies of", async () => {
    const routes = await nativeRoutes(server);
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      if (["POST", "PUT", "PATCH"].includes(route.method) || route.path.endsWith("/labels")) {
        if (route.method !== "GET")
          expect(BODIES[`${route.method} ${route.path}`], `${route.method} ${route.path}`).toBeDefined();
      }
    }
  });

  it("never answers with, or changes, the owner's data", async () => {
    const intruderApi = httpClient(server.url, basicAuth(intruder));
    const before = (await ownerApi("GET", `/v1/contacts/${contactId}`)).body;
    for (const route of await nativeRoutes(server)) {
      const ids = {
        id: route.path.startsWith("/v1/users")
          ? String(owner.userId)
          : route.path.startsWith("/v1/api_keys")
            ? String(owner.keyId)
            : contactId,
      };
      const path = route.path.replace("{id}", ids.id);
      const query = route.path.endsWith("/search")
        ? "?q=owner"
        : route.path.endsWith("/lookup")
          ? "?email=owner%40example.com"
          : "";
      const res = await intruderApi(route.method, `${path}${query}`, BODIES[`${route.method} ${route.path}`]);
      const label = `${route.method} ${route.path} → ${res.status}`;
      expect(res.status, label).toBeLessThan(500);
      expect(JSON.stringify(res.body), label).not.toContain("Owner's Secret");
      expect(JSON.stringify(res.body), label).not.toContain("owner-1");
      if (route.path.includes("{id}")) expect(res.status, label).toBe(404);
    }
    const after = (await ownerApi("GET", `/v1/contacts/${contactId}`)).body;
    expect(after).toEqual(before);
    expect((await ownerApi("GET", "/v1/me")).status).toBe(200);
  });
});
