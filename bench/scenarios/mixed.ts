import {
  armOf,
  type Comparison,
  failures,
  ms,
  type ReadContext,
  type Results,
  type Row,
  rps,
} from "../lib/scenario.js";
import { gets } from "../lib/windows.js";
import type { RequestKind } from "../load.js";

/** Scenario 7: reads, searches and writes together at 32 connections; no request may fail. */
export const MIXED_CONNECTIONS = 32;

export function mixedComparison(ctx: ReadContext, window: { seconds: number; warmupSeconds: number }): Comparison {
  const ids = ctx.targets.sampleIds;
  const terms = [...ctx.terms.rare, ...ctx.terms.common, ...ctx.terms.short];
  const requests: RequestKind[] = [
    gets(
      "get",
      ids.map((id) => `/v1/contacts/${id}`),
      25,
    ),
    gets("list", ["/v1/contacts?limit=50"], 25),
    gets(
      "search",
      terms.map((term) => `/v1/contacts/search?q=${encodeURIComponent(term)}&limit=15`),
      25,
    ),
    {
      label: "create",
      weight: 12.5,
      method: "POST",
      paths: ["/v1/contacts"],
      body: JSON.stringify({
        name: "Mixed Load {{n}}",
        email: "mixed-{{run}}-{{n}}@bench.example",
        labels: ["mixed-load"],
        custom_attributes: { plan: "pro" },
      }),
    },
    {
      label: "update",
      weight: 12.5,
      method: "PATCH",
      paths: ids.map((id) => `/v1/contacts/${id}`),
      body: JSON.stringify({ custom_attributes: { last_touch: "{{run}}-{{n}}" } }),
    },
  ];
  return {
    key: "mixed",
    arms: [{ name: "contactd", side: "product", requests }],
    settings: { connections: MIXED_CONNECTIONS, ...window, rounds: 1 },
  };
}

export function mixedRows(results: Results, scenario: string): Row[] {
  const arm = armOf(results, "mixed", "contactd");
  const failed = failures(arm);
  return [
    {
      scenario,
      measure: `mixed: 50 % get/list, 25 % search, 25 % create/update, ${MIXED_CONNECTIONS} connections, p99`,
      contactd: `${ms(arm.latencyMs.p99)}, ${rps(arm)}`,
      baseline: "—",
      ratio: null,
      goal: "0 errors",
      met: failed === 0,
    },
  ];
}
