import {
  armOf,
  type Comparison,
  failures,
  ms,
  type ReadContext,
  type Results,
  type Row,
  ratio,
  rps,
  type SearchTerms,
} from "../lib/scenario.js";
import { gets } from "../lib/windows.js";

/**
 * Scenario 2: search in the large account for a rare term, a common one and 2-character input,
 * against the bare baseline running the product's search SQL (throughput) and against Chatwoot's
 * query shape on a copy of the same rows (p99).
 */
export const SEARCH_THROUGHPUT_GOAL = 0.7;
export const SEARCH_P99_GOAL = 2;
/** Chatwoot's page: 15 contacts. */
const PAGE = 15;

export const TERM_KINDS = ["rare", "common", "short"] as const;

export function searchComparisons(ctx: ReadContext): Comparison[] {
  const base = `/accounts/${ctx.accountId}`;
  return TERM_KINDS.map((kind) => {
    const q = encodeURIComponent(ctx.terms[kind]);
    return {
      key: `search-${kind}`,
      arms: [
        {
          name: "contactd",
          side: "product",
          requests: [gets(kind, [`/v1/contacts/search?q=${q}&limit=${PAGE}`])],
        },
        { name: "baseline", side: "baseline", requests: [gets(kind, [`${base}/search?q=${q}&limit=${PAGE}`])] },
        { name: "chatwoot", side: "baseline", requests: [gets(kind, [`${base}/chatwoot-search?q=${q}`])] },
      ],
    };
  });
}

export function searchRows(results: Results, terms: SearchTerms, scenario: string): Row[] {
  return TERM_KINDS.flatMap((kind) => {
    const key = `search-${kind}`;
    const product = armOf(results, key, "contactd");
    const baseline = armOf(results, key, "baseline");
    const chatwoot = armOf(results, key, "chatwoot");
    const clean = failures(product, baseline, chatwoot) === 0;
    const throughput = ratio(product.requestsPerSecond, baseline.requestsPerSecond);
    // How many times lower the product's p99 is than Chatwoot's query's.
    const better = ratio(chatwoot.latencyMs.p99, product.latencyMs.p99);
    return [
      {
        scenario,
        measure: `search ${kind} "${terms[kind]}", throughput`,
        contactd: rps(product),
        baseline: rps(baseline),
        ratio: throughput,
        goal: `≥ ${SEARCH_THROUGHPUT_GOAL}×`,
        met: throughput !== null && throughput >= SEARCH_THROUGHPUT_GOAL && clean,
      },
      {
        scenario,
        measure: `search ${kind} "${terms[kind]}", p99 vs Chatwoot's query`,
        contactd: ms(product.latencyMs.p99),
        baseline: `${ms(chatwoot.latencyMs.p99)} (Chatwoot)`,
        ratio: better,
        goal: `≥ ${SEARCH_P99_GOAL}× lower`,
        met: better !== null && better >= SEARCH_P99_GOAL && clean,
      },
    ];
  });
}
