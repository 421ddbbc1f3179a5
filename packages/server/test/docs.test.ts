import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

describe("API description", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const spec = (await res.json()) as any;
    expect(spec.openapi).toBe("3.1.0");
    const create = spec.paths["/v1/contacts"].post;
    expect(create.requestBody.content["application/json"].schema.properties.email).toBeDefined();
    expect(create.responses["201"]).toBeDefined();
    expect(create.responses["4XX"] ?? create.responses["4xx"]).toBeDefined();
    expect(spec.paths["/v1/contacts"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["limit", "skip", "cursor", "sort", "direction", "labels"]),
    );
    expect(spec.components.schemas.Contact.properties.display_name).toBeDefined();
    // A contact's fields that may be null are typed as such, not as anyOf: the response
    // serializer would settle each anyOf by running a validator on every value of every page.
    const contactFields = Object.entries(spec.components.schemas.Contact.properties) as [string, any][];
    expect(contactFields.filter(([, field]) => field.anyOf !== undefined).map(([name]) => name)).toEqual([]);
    expect(spec.components.schemas.Contact.properties.email.type).toEqual(["string", "null"]);
    expect(spec.components.securitySchemes.basic.scheme).toBe("basic");
  });

  it("serves a browsable docs page with security headers", async () => {
    const res = await fetch(`${server.url}/docs`, { redirect: "follow" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("swagger");
    const policy = res.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).not.toContain("upgrade-insecure-requests");
    // Scripts only from the page's origin (or inline ones by their hash, if the page has any).
    expect(policy).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;/);
    expect(policy).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const script = await fetch(`${server.url}/docs/static/swagger-initializer.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers unknown /v1 routes with 401 to strangers and 404 in the error shape to callers", async () => {
    expect((await fetch(`${server.url}/v1/nothing-here`)).status).toBe(401);
    const admin = await newAccount(server.db);
    const res = await httpClient(server.url, basicAuth(admin))("GET", "/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("route_not_found");
  });
});
