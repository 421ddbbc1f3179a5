import {
  armOf,
  type Comparison,
  failures,
  type PlannedArm,
  type ReadContext,
  type Results,
  type Row,
  ratio,
  rps,
} from "../lib/scenario.js";
import { gets } from "../lib/windows.js";

/** Scenario 1: a contact by id and list page 1, against the bare route running the same SQL. */
export const READ_GOAL = 0.7;

/** A contact by id on each side, over 1,000 ids spread across the large account. */
export function getByIdArms(ctx: ReadContext): PlannedArm[] {
  const base = `/accounts/${ctx.accountId}`;
  const ids = ctx.targets.sampleIds;
  return [
    {
      name: "contactd",
      side: "product",
      requests: [
        gets(
          "get",
          ids.map((id) => `/v1/contacts/${id}`),
        ),
      ],
    },
    {
      name: "baseline",
      side: "baseline",
      requests: [
        gets(
          "get",
          ids.map((id) => `${base}/contacts/${id}`),
        ),
      ],
    },
  ];
}

export function readComparisons(ctx: ReadContext): Comparison[] {
  const base = `/accounts/${ctx.accountId}`;
  return [
    { key: "get", arms: getByIdArms(ctx) },
    {
      key: "list",
      arms: [
        { name: "contactd", side: "product", requests: [gets("list", ["/v1/contacts?limit=50"])] },
        { name: "baseline", side: "baseline", requests: [gets("list", [`${base}/contacts?limit=50`])] },
      ],
    },
  ];
}

export function readRows(results: Results, scenario: string): Row[] {
  return [
    ["get", "GET /v1/contacts/:id, throughput"],
    ["list", "GET /v1/contacts?limit=50, throughput"],
  ].map(([key, measure]) => {
    const product = armOf(results, key as string, "contactd");
    const baseline = armOf(results, key as string, "baseline");
    const r = ratio(product.requestsPerSecond, baseline.requestsPerSecond);
    return {
      scenario,
      measure: measure as string,
      contactd: rps(product),
      baseline: rps(baseline),
      ratio: r,
      goal: `≥ ${READ_GOAL}×`,
      met: r !== null && r >= READ_GOAL && failures(product, baseline) === 0,
    };
  });
}
