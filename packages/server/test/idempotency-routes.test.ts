import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { startServer } from "./harness.js";
import { authHeaders, faceOf, isSuccess, recipeFor, routeKey, routesOf, send, Workspace } from "./route-requests.js";

/**
 * Every POST of the native API (from the app's route table), sent with an Idempotency-Key: the
 * write marks the key applied in its own transaction (so a retry after a crash that lost the answer
 * cannot run it again), the answer is stored, and a retry replays it.
 */

const server = await startServer();
const posts = routesOf(server).filter((route) => route.method === "POST" && faceOf(route) === "native");
let w: Workspace;
/** Routes whose answer shows a secret once, so it is not kept for replay. */
const WITHHELD = new Set(["POST /v1/users/:id/api_keys"]);

beforeAll(async () => {
  w = await Workspace.create(server, "IdempotentMark");
});
afterAll(() => server.close());

describe("every native POST with an Idempotency-Key", () => {
  it("covers the native POST routes", () => {
    expect(posts.length).toBeGreaterThanOrEqual(19);
  });

  it.each(posts.map((route) => [routeKey(route), route] as const))("%s", async (_name, route) => {
    const request = await recipeFor(route)!.build(w, "administrator");
    const key = `routes-${w.next()}`;
    const headers = { ...authHeaders("native", w.admin), "idempotency-key": key };
    try {
      const first = await send(server, route, request, headers, w.accountId);
      expect(isSuccess(request, first.status), `${first.status} ${first.text.slice(0, 300)}`).toBe(true);
      const [stored] = await server.db.query<{ applied: boolean; status_code: number | null }>(sql`
        SELECT applied_at IS NOT NULL AS applied, status_code FROM idempotency_keys
        WHERE account_id = ${w.accountId} AND key = ${key}`);
      expect(stored, "the key's row").toEqual({ applied: true, status_code: first.status });

      const retry = await send(server, route, request, headers, w.accountId);
      if (WITHHELD.has(routeKey(route))) {
        // An answer showing a secret once is not kept: the retry is told so, and nothing runs again.
        expect({ status: retry.status, code: retry.json?.error?.code }).toEqual({
          status: 409,
          code: "idempotency_answer_withheld",
        });
      } else {
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect({ status: retry.status, text: retry.text }).toEqual({ status: first.status, text: first.text });
      }
    } finally {
      await request.cleanup?.();
    }
  });
});
