import type { RequestKind } from "../load.js";
import type { ReadTargets } from "./prepare.js";
import { fmt, log, round } from "./util.js";
import { type ArmResult, compare, loadWindow, type WindowSettings } from "./windows.js";

/** Which server an arm runs against: the product, or the bare baseline (which also serves Chatwoot's query). */
export type Side = "product" | "baseline";

export interface PlannedArm {
  name: string;
  side: Side;
  requests: RequestKind[];
}

/** Arms measured against each other, in turns. */
export interface Comparison {
  key: string;
  arms: PlannedArm[];
  /** Overrides of the window settings (scenario 7's connections and length). */
  settings?: Partial<WindowSettings>;
}

/** A line of the results table. */
export interface Row {
  scenario: string;
  measure: string;
  contactd: string;
  baseline: string;
  ratio: number | null;
  goal: string;
  met: boolean | null;
}

/**
 * What people type into a search box, by kind, taken from the data: identifier fragments that
 * find one contact (rare), the most frequent three-letter pieces of names (common), and
 * two-letter starts of names, frequent and infrequent (short).
 */
export interface SearchTerms {
  rare: string[];
  common: string[];
  short: string[];
}

/** What the read scenarios need to build their requests. */
export interface ReadContext {
  /** The large account's id, which the baseline takes in its paths. */
  accountId: number;
  targets: ReadTargets;
  terms: SearchTerms;
}

export type Results = Map<string, Map<string, ArmResult>>;

/** A running server the arms of one side go to; its pid, when known, for its CPU per request. */
export interface ServerSide {
  origin: string;
  headers: Record<string, string>;
  pid?: number;
}

/**
 * Runs the comparisons' arms for the sides given (both at once when both servers are up, so each
 * comparison's windows alternate); results by comparison and arm.
 */
export async function runComparisons(
  comparisons: Comparison[],
  servers: Partial<Record<Side, ServerSide>>,
  settings: WindowSettings,
  into: Results = new Map(),
): Promise<Results> {
  for (const comparison of comparisons) {
    const arms = comparison.arms.filter((arm) => servers[arm.side]);
    if (arms.length === 0) continue;
    const results = await compare(
      comparison.key,
      arms.map((arm) => {
        const server = servers[arm.side] as ServerSide;
        return {
          name: arm.name,
          origin: server.origin,
          headers: server.headers,
          requests: arm.requests,
          pid: server.pid,
        };
      }),
      { ...settings, ...comparison.settings },
    );
    const byArm = into.get(comparison.key) ?? new Map<string, ArmResult>();
    for (const result of results) byArm.set(result.name, result);
    into.set(comparison.key, byArm);
  }
  return into;
}

/**
 * Sends every arm's requests for `seconds` without recording them: a freshly started server (its
 * JIT, its pool, PGlite's buffer cache) is warmed before its first measured window.
 */
export async function warmUp(
  comparisons: Comparison[],
  servers: Partial<Record<Side, ServerSide>>,
  settings: WindowSettings,
  seconds: number,
): Promise<void> {
  const started = performance.now();
  for (const comparison of comparisons) {
    for (const arm of comparison.arms) {
      const server = servers[arm.side];
      if (!server) continue;
      await loadWindow({
        origin: server.origin,
        connections: comparison.settings?.connections ?? settings.connections,
        warmupSeconds: 0,
        seconds,
        headers: server.headers,
        requests: arm.requests,
      });
    }
  }
  log(`warmed ${Object.keys(servers).join(" and ")} in ${Math.round((performance.now() - started) / 1000)} s`);
}

export function armOf(results: Results, key: string, arm: string): ArmResult {
  const found = results.get(key)?.get(arm);
  if (!found) throw new Error(`no result for ${key} / ${arm}`);
  return found;
}

export const rps = (arm: ArmResult) => `${fmt(Math.round(arm.requestsPerSecond))} req/s`;
export const ms = (value: number) => `${value < 10 ? round(value, 2) : round(value, 1)} ms`;
export const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
/** Non-2xx answers and transport errors of arms, which every measured window must be free of. */
export const failures = (...arms: ArmResult[]) => arms.reduce((sum, arm) => sum + arm.non2xx + arm.errors, 0);
