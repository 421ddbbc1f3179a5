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
import { getByIdArms } from "./reads.js";

/**
 * Scenario 2: search in the large account for each kind of term (a set of terms per kind, taken in
 * turns). Throughput against the bare baseline running the product's search SQL, at the suite's
 * connections; p99 latency against Chatwoot's query shape on a copy of the same rows, one request
 * at a time, so that it measures what a person typing waits for rather than queueing.
 */
export const SEARCH_THROUGHPUT_GOAL = 0.7;
export const SEARCH_P99_GOAL = 2;
/** Chatwoot's page: 15 contacts. */
const PAGE = 15;
/** Latency is measured without concurrency. */
const LATENCY_CONNECTIONS = 1;

export const TERM_KINDS = ["rare", "common", "short"] as const;

export function searchComparisons(ctx: ReadContext): Comparison[] {
  const base = `/accounts/${ctx.accountId}`;
  // The least a request costs on either side: a contact by its primary key, one at a time. A
  // search cannot answer faster than that, which bounds the ratio against Chatwoot's query.
  const floor: Comparison = {
    key: "get-latency",
    settings: { connections: LATENCY_CONNECTIONS },
    arms: getByIdArms(ctx),
  };
  const byKind: Comparison[] = TERM_KINDS.flatMap((kind) => {
    const qs = ctx.terms[kind].map((term) => encodeURIComponent(term));
    const product = gets(
      kind,
      qs.map((q) => `/v1/contacts/search?q=${q}&limit=${PAGE}`),
    );
    return [
      {
        key: `search-${kind}`,
        arms: [
          { name: "contactd", side: "product", requests: [product] },
          {
            name: "baseline",
            side: "baseline",
            requests: [
              gets(
                kind,
                qs.map((q) => `${base}/search?q=${q}&limit=${PAGE}`),
              ),
            ],
          },
        ],
      },
      {
        key: `search-${kind}-latency`,
        settings: { connections: LATENCY_CONNECTIONS },
        arms: [
          { name: "contactd", side: "product", requests: [product] },
          {
            name: "chatwoot",
            side: "baseline",
            requests: [
              gets(
                kind,
                qs.map((q) => `${base}/chatwoot-search?q=${q}`),
              ),
            ],
          },
        ],
      },
    ];
  });
  return [floor, ...byKind];
}

export function searchRows(results: Results, terms: SearchTerms, scenario: string): Row[] {
  const floor = {
    product: armOf(results, "get-latency", "contactd"),
    baseline: armOf(results, "get-latency", "baseline"),
  };
  const floorRow: Row = {
    scenario,
    measure: "floor: GET /v1/contacts/:id, p99 one at a time (no search can be faster)",
    contactd: ms(floor.product.latencyMs.p99),
    baseline: `${ms(floor.baseline.latencyMs.p99)} bare route`,
    ratio: ratio(floor.baseline.latencyMs.p99, floor.product.latencyMs.p99),
    goal: "—",
    met: null,
  };
  const byKind: Row[] = TERM_KINDS.flatMap((kind) => {
    const product = armOf(results, `search-${kind}`, "contactd");
    const baseline = armOf(results, `search-${kind}`, "baseline");
    const alone = armOf(results, `search-${kind}-latency`, "contactd");
    const chatwoot = armOf(results, `search-${kind}-latency`, "chatwoot");
    const clean = failures(product, baseline, alone, chatwoot) === 0;
    const throughput = ratio(product.requestsPerSecond, baseline.requestsPerSecond);
    // How many times lower the product's p99 is than Chatwoot's query's.
    const better = ratio(chatwoot.latencyMs.p99, alone.latencyMs.p99);
    const named = `search ${kind} (${terms[kind].length} terms: ${terms[kind].map((t) => `"${t}"`).join(" ")})`;
    return [
      {
        scenario,
        measure: `${named}, throughput`,
        contactd: rps(product),
        baseline: rps(baseline),
        ratio: throughput,
        goal: `≥ ${SEARCH_THROUGHPUT_GOAL}×`,
        met: throughput !== null && throughput >= SEARCH_THROUGHPUT_GOAL && clean,
      },
      {
        scenario,
        measure: `search ${kind}, p99 one at a time vs Chatwoot's query`,
        contactd: ms(alone.latencyMs.p99),
        baseline: `${ms(chatwoot.latencyMs.p99)} (Chatwoot)`,
        ratio: better,
        goal: `≥ ${SEARCH_P99_GOAL}× lower`,
        met: better !== null && better >= SEARCH_P99_GOAL && clean,
      },
    ];
  });
  return [...byKind, floorRow];
}
