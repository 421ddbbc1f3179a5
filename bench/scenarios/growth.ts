import { type Comparison, failures, ms, type Results, type Row, ratio, type SearchTerms } from "../lib/scenario.js";
import { fmt } from "../lib/util.js";
import type { ArmResult } from "../lib/windows.js";
import { gets } from "../lib/windows.js";

/** Scenario 6: search and list p99 as the dataset grows; from the first stage to the last at most 2×. */
export const GROWTH_GOAL = 2;

export interface GrowthPoint {
  /** Rows loaded in all (the stage's size). */
  size: number;
  /** Contacts in the database. */
  contacts: number;
  search: ArmResult;
  list: ArmResult;
}

/** Every search term in turn, and list page 1, in the large account. */
export function growthComparison(stage: number, terms: SearchTerms): Comparison {
  const searches = [...terms.rare, ...terms.common, ...terms.short].map(
    (term) => `/v1/contacts/search?q=${encodeURIComponent(term)}&limit=15`,
  );
  return {
    key: `growth-${stage}`,
    arms: [
      { name: "search", side: "product", requests: [gets("search", searches)] },
      { name: "list", side: "product", requests: [gets("list", ["/v1/contacts?limit=50"])] },
    ],
  };
}

export function growthPoint(results: Results, stage: number, size: number, contacts: number): GrowthPoint {
  const byArm = results.get(`growth-${stage}`);
  const search = byArm?.get("search");
  const list = byArm?.get("list");
  if (!search || !list) throw new Error(`no growth results for stage ${stage}`);
  return { size, contacts, search, list };
}

const short = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

export function growthRows(points: GrowthPoint[], scenario: string): Row[] {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return [];
  const clean = points.every((p) => failures(p.search, p.list) === 0);
  return (["search", "list"] as const).map((kind) => {
    const r = ratio(last[kind].latencyMs.p99, first[kind].latencyMs.p99);
    const path = points.map((p) => ms(p[kind].latencyMs.p99)).join(" → ");
    return {
      scenario,
      measure: `${kind} p99 from ${short(first.size)} to ${short(last.size)} contacts (${path})`,
      contactd: `${ms(last[kind].latencyMs.p99)} at ${fmt(last.size)}`,
      baseline: `${ms(first[kind].latencyMs.p99)} at ${fmt(first.size)}`,
      ratio: r,
      goal: `≤ ${GROWTH_GOAL}×`,
      met: r !== null && r <= GROWTH_GOAL && clean,
    };
  });
}
