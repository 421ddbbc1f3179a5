import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "./harness.js";
import {
  authHeaders,
  chatwootAdministratorRoutes,
  expectRoleRefused,
  expectUnauthenticated,
  faceOf,
  fingerprint,
  isPublic,
  isSuccess,
  type Key,
  nativeSummaries,
  PUBLIC_ROUTES,
  placeholderPath,
  type Restriction,
  type Route,
  recipeFor,
  restrictionOf,
  routeKey,
  routesOf,
  send,
  staleRecipes,
  Workspace,
} from "./route-requests.js";

/**
 * Every route of every face (from the app's route table) × every kind of caller: no credentials,
 * a wrong secret, a revoked credential, an agent, an administrator. Each refusal is checked to
 * change nothing in the account's data (a fingerprint of every table before and after).
 */

const server = await startServer({ isolated: true });
const routes = routesOf(server);
let w: Workspace;
let wrongSecret: Key;
let revoked: Key;
let summaries: Map<string, string>;
let chatwootAdministrators: Set<string>;

beforeAll(async () => {
  w = await Workspace.create(server, "MatrixMark");
  wrongSecret = { key: w.admin.key, secret: `not-${w.admin.secret}` };
  // A second key of the administrator, revoked through the API.
  const key = await w.call("administrator", "POST", `/v1/users/${w.admin.userId}/api_keys`, { name: "revoked" });
  await w.call("administrator", "DELETE", `/v1/api_keys/${key.id}`);
  revoked = { key: key.key, secret: key.secret };
  summaries = await nativeSummaries(server);
  chatwootAdministrators = await chatwootAdministratorRoutes();
});
afterAll(() => server.close());

const restriction = (route: Route): Restriction | null => restrictionOf(route, summaries, chatwootAdministrators);

describe("the route table", () => {
  it("has a request recipe for every route of every face, and none for a route that is gone", () => {
    expect(routes.length).toBeGreaterThan(150);
    expect(routes.filter((route) => !recipeFor(route)).map(routeKey)).toEqual([]);
    expect(staleRecipes(routes)).toEqual([]);
    for (const face of ["native", "chatwoot", "livedesk", "imbrace", "public"]) {
      expect(
        routes.some((route) => faceOf(route) === face),
        face,
      ).toBe(true);
    }
  });

  it("answers without credentials exactly the routes listed as public", async () => {
    const keys = new Set(routes.map(routeKey));
    expect(PUBLIC_ROUTES.filter((key) => !keys.has(key))).toEqual([]);
    const answered: string[] = [];
    for (const route of routes) {
      // A request without credentials is refused before its parameters name anything.
      const request = isPublic(route)
        ? await recipeFor(route)!.build(w, "administrator")
        : { path: placeholderPath(route) };
      const answer = await send(server, route, request, {}, w.accountId);
      if (answer.status !== 401) answered.push(routeKey(route));
    }
    expect(answered.sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it("knows who may call each route from its documentation", () => {
    const administrators = routes.filter((route) => restriction(route) === "administrators").map(routeKey);
    expect(administrators).toContain("DELETE /v1/contacts/:id");
    expect(administrators).toContain("DELETE /api/v1/accounts/:account_id/contacts/:id");
    expect(administrators).toContain("POST /v1/users");
    expect(administrators).toContain("POST /v1/webhooks");
    expect(routes.filter((route) => restriction(route) === "others").map(routeKey)).toEqual([
      "PUT /v1/contacts/:id/followers/:userId",
      "DELETE /v1/contacts/:id/followers/:userId",
    ]);
  });
});

describe("every route × {no credentials, wrong secret, revoked credential, agent, administrator}", () => {
  it.each(routes.map((route) => [routeKey(route), route] as const))("%s", async (_key, route) => {
    const recipe = recipeFor(route);
    if (!recipe) throw new Error(`no request recipe for ${routeKey(route)}`);
    const face = faceOf(route);
    const asAdministrator = await recipe.build(w, "administrator");
    let before = await fingerprint(server, w.accountId);
    const unchanged = async (label: string) => {
      const after = await fingerprint(server, w.accountId);
      expect.soft(after, `${label}: the account's data changed`).toEqual(before);
      before = after;
    };

    const strangers: Array<[string, Key | null]> = [
      ["no credentials", null],
      ["a wrong secret", wrongSecret],
      ["a revoked credential", revoked],
    ];
    for (const [label, credential] of strangers) {
      const answer = await send(server, route, asAdministrator, authHeaders(face, credential), w.accountId);
      if (isPublic(route)) {
        expect.soft(isSuccess(asAdministrator, answer.status), `${label} → ${answer.status} (public)`).toBe(true);
      } else {
        expectUnauthenticated(route, answer, `${label} → ${answer.status} ${answer.text.slice(0, 200)}`);
        await unchanged(label);
      }
    }

    const asAgent = await recipe.build(w, "agent");
    if (restriction(route) === "administrators") {
      before = await fingerprint(server, w.accountId);
      const answer = await send(server, route, asAgent, authHeaders(face, w.agent), w.accountId);
      expectRoleRefused(route, answer, `agent → ${answer.status} ${answer.text.slice(0, 200)}`);
      await unchanged("agent");
    } else {
      const answer = await send(server, route, asAgent, authHeaders(face, w.agent), w.accountId);
      expect
        .soft(isSuccess(asAgent, answer.status), `agent → ${answer.status} ${answer.text.slice(0, 300)}`)
        .toBe(true);
    }

    if (recipe.refusedToAgent) {
      const refused = await recipe.refusedToAgent(w);
      before = await fingerprint(server, w.accountId);
      const answer = await send(server, route, refused, authHeaders(face, w.agent), w.accountId);
      const label = `agent on another user's record → ${answer.status} ${answer.text.slice(0, 200)}`;
      if (refused.status === 401 || refused.status === 403) expectRoleRefused(route, answer, label);
      else expect.soft(answer.status, label).toBe(refused.status);
      if (route.method !== "HEAD") refused.checkRefused?.(answer.json);
      await unchanged("agent on another user's record");
      await refused.cleanup?.();
    }

    const answer = await send(server, route, asAdministrator, authHeaders(face, w.admin), w.accountId);
    expect
      .soft(isSuccess(asAdministrator, answer.status), `administrator → ${answer.status} ${answer.text.slice(0, 300)}`)
      .toBe(true);
  });
});
