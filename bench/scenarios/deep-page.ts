import {
  armOf,
  type Comparison,
  failures,
  ms,
  type ReadContext,
  type Results,
  type Row,
  ratio,
} from "../lib/scenario.js";
import { fmt } from "../lib/util.js";
import { gets } from "../lib/windows.js";

/** Scenario 3: a cursor page deep in the large account, against page 1 of the same listing. */
export const DEEP_PAGE_GOAL = 2;
/** Depth of the deep page, as a share of the large account: 400,000 of 500,000 at a million contacts. */
export const DEPTH_SHARE = 0.8;

export function deepPageComparisons(ctx: ReadContext): Comparison[] {
  const cursor = encodeURIComponent(ctx.targets.deepPage.cursor);
  return [
    {
      key: "deep-page",
      arms: [
        { name: "page 1", side: "product", requests: [gets("page 1", ["/v1/contacts?limit=50"])] },
        { name: "deep", side: "product", requests: [gets("deep", [`/v1/contacts?limit=50&cursor=${cursor}`])] },
      ],
    },
  ];
}

export function deepPageRows(results: Results, ctx: ReadContext, scenario: string): Row[] {
  const first = armOf(results, "deep-page", "page 1");
  const deep = armOf(results, "deep-page", "deep");
  const r = ratio(deep.latencyMs.p50, first.latencyMs.p50);
  return [
    {
      scenario,
      measure: `cursor page at depth ${fmt(ctx.targets.deepPage.depth)}, p50 (p99) vs page 1`,
      contactd: `${ms(deep.latencyMs.p50)} (${ms(deep.latencyMs.p99)})`,
      baseline: `${ms(first.latencyMs.p50)} (${ms(first.latencyMs.p99)}) page 1`,
      ratio: r,
      goal: `≤ ${DEEP_PAGE_GOAL}×`,
      met: r !== null && r <= DEEP_PAGE_GOAL && failures(first, deep) === 0,
    },
  ];
}
