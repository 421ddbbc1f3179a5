import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, startServer } from "./harness.js";
import {
  type Answer,
  authHeaders,
  faceOf,
  fingerprint,
  isPublic,
  isSuccess,
  namesRecords,
  type Route,
  type RouteRequest,
  recipeFor,
  routeKey,
  routesOf,
  send,
  Workspace,
} from "./route-requests.js";
import { openSse } from "./sse-reader.js";

/**
 * Every route of every face, called with a credential of another account on the owner's records:
 * the answer is the face's 404 (or 401 where Chatwoot's path names the owner's account), never
 * holds the owner's data, and the owner's data is unchanged afterwards. The public routes are
 * left out: they answer anyone by design (an avatar's long random key is its capability).
 */

/** Both marks contain SHARED, so a search for it would find the owner's rows if tenancy failed. */
const SHARED = "TenantMark";
const server = await startServer({ isolated: true });
const routes = routesOf(server).filter((route) => !isPublic(route));
let owner: Workspace;
let intruder: Workspace;

beforeAll(async () => {
  owner = await Workspace.create(server, `Owner${SHARED}`);
  intruder = await Workspace.create(server, `Intruder${SHARED}`);
  // Both accounts hold every kind of record, so the intruder's lists are not empty.
  for (const w of [owner, intruder]) {
    await w.sharedContact();
    await w.sharedDelivery();
    await w.sharedImport();
    await w.sharedAvatarKey();
    await w.apiKey();
    await w.export("administrator");
    await w.notification("administrator");
    await w.notification("agent");
  }
});
afterAll(() => server.close());

/** Whether an answer shows the owner's data: any text that carries the owner's mark, headers included. */
function leaks(answer: Answer): boolean {
  const mark = owner.mark.toLowerCase();
  const headers = [...answer.headers.entries()].map(([name, value]) => `${name}: ${value}`).join("\n");
  return `${answer.text}\n${headers}`.toLowerCase().includes(mark);
}

describe("another account's credential, on every route of every face", () => {
  it("covers every route but the public ones", () => {
    expect(routes.filter((route) => !recipeFor(route)).map(routeKey)).toEqual([]);
    for (const face of ["native", "chatwoot", "livedesk", "imbrace"]) {
      expect(
        routes.some((route) => faceOf(route) === face),
        face,
      ).toBe(true);
    }
  });

  it.each(routes.map((route) => [routeKey(route), route] as const))("%s", async (_key, route) => {
    const face = faceOf(route);
    const request = await recipeFor(route)!.build(owner, "administrator");
    let before = await fingerprint(server, owner.accountId);
    const attempt = async (
      label: string,
      headers: Record<string, string>,
      pathAccount: number,
      expected: (answer: Answer) => void,
    ) => {
      const answer = await send(server, route, request, headers, pathAccount);
      const described = `${label} → ${answer.status} ${answer.text.slice(0, 300)}`;
      expected(answer);
      expect.soft(answer.status, described).toBeLessThan(500);
      expect.soft(leaks(answer), `${described}: shows the owner's data`).toBe(false);
      const after = await fingerprint(server, owner.accountId);
      // Blobs are kept per server, not per account: the intruder may add its own, but none may go.
      const { "(blobs)": blobsAfter, ...rowsAfter } = after;
      const { "(blobs)": blobsBefore, ...rowsBefore } = before;
      expect.soft(rowsAfter, `${label}: the owner's data changed`).toEqual(rowsBefore);
      const gone = blobsBefore!.split(",").filter((blob) => !blobsAfter!.split(",").includes(blob));
      expect.soft(gone, `${label}: stored files went`).toEqual([]);
      before = after;
    };
    const credential = authHeaders(face, intruder.admin);

    if (face === "chatwoot") {
      // The path names the owner's account: the token opens only its own.
      await attempt("intruder's token, owner's account in the path", credential, owner.accountId, (answer) => {
        expect.soft(answer.status, "owner's account in the path").toBe(401);
        if (route.method !== "HEAD") {
          expect.soft(answer.json).toEqual({ error: "You are not authorized to access this account" });
        }
      });
    }
    await attempt("intruder's credential", credential, intruder.accountId, (answer) =>
      expectForeign(route, request, answer),
    );
    if (face === "imbrace") {
      // An x-organization-id naming another organization than the token's is refused.
      const organization = { ...credential, "x-organization-id": String(owner.accountId) };
      await attempt("intruder's token naming the owner's organization", organization, owner.accountId, (answer) =>
        expect.soft(answer.status, "x-organization-id of another organization").toBe(403),
      );
    }
  });
});

/** 404 when the path names the owner's records; otherwise what the recipe says, or success in the intruder's own account. */
function expectForeign(route: Route, request: RouteRequest, answer: Answer): void {
  const label = `intruder's credential → ${answer.status} ${answer.text.slice(0, 300)}`;
  if (request.foreign !== undefined) {
    expect.soft(answer.status, label).toBe(request.foreign);
  } else if (namesRecords(route)) {
    expect.soft(answer.status, label).toBe(404);
  } else {
    expect.soft(isSuccess(request, answer.status), label).toBe(true);
  }
  if (route.method !== "HEAD" && answer.status < 300) request.checkForeign?.(answer.json);
}

describe("lists, searches, exports and notifications hold the caller's own rows only", () => {
  const listings: Array<[string, string]> = [
    ["native", "/v1/contacts?limit=200"],
    ["native", `/v1/contacts/search?q=${SHARED}&limit=200`],
    ["native", "/v1/contacts/export.csv?columns=id,name,email,labels,custom_attributes"],
    ["native", `/v1/contacts/export.csv?q=${SHARED}`],
    ["native", "/v1/labels"],
    ["native", "/v1/inboxes"],
    ["native", "/v1/webhooks"],
    ["native", "/v1/imports"],
    ["native", "/v1/api_keys"],
    ["chatwoot", "/api/v1/accounts/:account_id/contacts"],
    ["chatwoot", `/api/v1/accounts/:account_id/contacts/search?q=${SHARED}`],
    ["livedesk", "/api/v2/accounts/contacts?page_size=200"],
    ["livedesk", `/api/v2/accounts/contacts?q=${SHARED}&page_size=200`],
    ["imbrace", "/channel-service/v1/contacts?limit=200"],
    ["imbrace", `/channel-service/v1/contacts/_search?q=${SHARED}`],
    ["imbrace", "/channel-service/v1/contacts/_export_csv"],
  ];

  it.each(listings)("%s %s", async (face, path) => {
    const route = { method: "GET", url: path };
    const answer = await send(
      server,
      route,
      { path },
      authHeaders(face as "native", intruder.admin),
      intruder.accountId,
    );
    expect(answer.status).toBe(200);
    expect(answer.text.toLowerCase()).toContain(intruder.mark.toLowerCase());
    expect(leaks(answer)).toBe(false);
  });

  it("Chatwoot's filter", async () => {
    const route = { method: "POST", url: "/api/v1/accounts/:account_id/contacts/filter" };
    const json = { payload: [{ attribute_key: "name", filter_operator: "contains", values: [SHARED] }] };
    const answer = await send(
      server,
      route,
      { path: route.url, json },
      authHeaders("chatwoot", intruder.admin),
      intruder.accountId,
    );
    expect(answer.status).toBe(200);
    expect(answer.json.payload.length).toBeGreaterThan(0);
    expect(answer.text.toLowerCase()).toContain(intruder.mark.toLowerCase());
    expect(leaks(answer)).toBe(false);
  });

  it("a background export's file", async () => {
    const id = await intruder.export("administrator");
    const answer = await send(
      server,
      { method: "GET", url: "/v1/exports/:id/download" },
      { path: `/v1/exports/${id}/download` },
      authHeaders("native", intruder.admin),
      intruder.accountId,
    );
    expect(answer.status).toBe(200);
    expect(answer.text.toLowerCase()).toContain(intruder.mark.toLowerCase());
    expect(leaks(answer)).toBe(false);
  });

  it("notification lists, natively and on iMBRACE's face", async () => {
    // The loop above dismissed the intruder's own notifications (it may): one more of each side.
    await owner.notification("administrator");
    await intruder.notification("administrator");
    const ids = async (w: Workspace, role: "administrator" | "agent") =>
      ((await w.call(role, "GET", "/v1/notifications?limit=200")).data as Array<{ id: string }>).map((n) => n.id);
    const owners = [...(await ids(owner, "administrator")), ...(await ids(owner, "agent"))];
    const intruders = await ids(intruder, "administrator");
    expect(owners.length).toBeGreaterThan(0);
    expect(intruders.length).toBeGreaterThan(0);
    expect(intruders.filter((id) => owners.includes(id))).toEqual([]);
    const imbrace = await send(
      server,
      { method: "GET", url: "/channel-service/v1/notifications" },
      { path: "/channel-service/v1/notifications?limit=200" },
      authHeaders("imbrace", intruder.admin),
      intruder.accountId,
    );
    expect(imbrace.status).toBe(200);
    expect((imbrace.json.data as Array<{ id: string }>).map((n) => n.id).sort()).toEqual([...intruders].sort());
  });

  it("the live notification stream, replayed and live", async () => {
    const stream = await openSse(`${server.url}/v1/notifications/stream?last_event_id=0`, {
      authorization: basicAuth(intruder.admin),
    });
    try {
      expect(stream.status).toBe(200);
      const replayed = (await intruder.call("administrator", "GET", "/v1/notifications?limit=200")).data.length;
      await stream.waitFor(() => stream.notifications().length >= replayed);
      // One for the owner's administrator, then one for the intruder's: only the second may arrive.
      const ownersNew = await owner.notification("administrator");
      const intrudersNew = await intruder.notification("administrator");
      await stream.waitFor(() => stream.notifications().some((n) => n.id === intrudersNew));
      const seen = stream.notifications().map((n) => n.id as string);
      const owners = (await owner.call("administrator", "GET", "/v1/notifications?limit=200")).data.map(
        (n: { id: string }) => n.id,
      );
      expect(owners).toContain(ownersNew);
      expect(seen.filter((id) => owners.includes(id))).toEqual([]);
      const intruders = (await intruder.call("administrator", "GET", "/v1/notifications?limit=200")).data.map(
        (n: { id: string }) => n.id,
      );
      expect(seen.filter((id) => !intruders.includes(id))).toEqual([]);
    } finally {
      await stream.close();
    }
  });
});
