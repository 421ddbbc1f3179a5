/**
 * Load generator: a closed loop of N connections to one origin for a fixed time, after a warm-up,
 * reporting requests/s, latency percentiles, non-2xx answers and errors as JSON on stdout.
 *
 *   tsx bench/load.ts spec.json
 *
 * The suite forks it once with `--serve` and sends it one spec per window over IPC instead.
 *
 * The spec (LoadSpec below) lists weighted request kinds. Each kind cycles through its paths, and
 * `{{n}}` in a body becomes a number unique within the run (with `{{run}}`, unique across runs), so
 * writes never collide. Latency runs from sending the request to the end of the body. Latencies
 * go into a log histogram with 1 % wide buckets, which windows merge exactly.
 *
 * It runs as its own process so that its CPU is not the server's, and uses undici's Pool: one
 * keep-alive connection per client, no pipelining.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { Histogram, type HistogramSummary } from "./lib/histogram.js";

export interface RequestKind {
  label: string;
  weight: number;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  paths: string[];
  /** JSON body template; `{{n}}` and `{{run}}` are replaced per request. */
  body?: string;
}

export interface LoadSpec {
  origin: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  headers: Record<string, string>;
  requests: RequestKind[];
  seed?: number;
  /** Per-request timeout; a request still waiting after it counts as an error. */
  timeoutSeconds?: number;
}

export interface LoadResult {
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  bytes: number;
  latencyMs: HistogramSummary;
  histogram: Array<[number, number]>;
  non2xx: number;
  statuses: Record<string, number>;
  errors: number;
  errorSamples: string[];
  byLabel: Record<string, { requests: number; non2xx: number; errors: number; latencyMs: HistogramSummary }>;
}

/** mulberry32: a small seeded PRNG, so request mixes repeat from run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const timeoutMs = (spec.timeoutSeconds ?? 30) * 1000;
  const pool = new Pool(spec.origin, {
    connections: spec.connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const random = prng(spec.seed ?? 1);
  const totalWeight = spec.requests.reduce((sum, kind) => sum + kind.weight, 0);
  const cursors = spec.requests.map(() => 0);
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  let counter = 0;
  const pick = (): { kind: RequestKind; path: string; body: string | undefined } => {
    let r = random() * totalWeight;
    let at = 0;
    for (; at < spec.requests.length - 1; at++) {
      r -= (spec.requests[at] as RequestKind).weight;
      if (r < 0) break;
    }
    const kind = spec.requests[at] as RequestKind;
    const path = kind.paths[(cursors[at] as number) % kind.paths.length] as string;
    cursors[at] = (cursors[at] as number) + 1;
    const n = String(counter++);
    const body = kind.body?.replaceAll("{{n}}", n).replaceAll("{{run}}", run);
    return { kind, path, body };
  };

  const overall = new Histogram();
  const labels = new Map<string, { histogram: Histogram; requests: number; non2xx: number; errors: number }>();
  for (const kind of spec.requests)
    labels.set(kind.label, { histogram: new Histogram(), requests: 0, non2xx: 0, errors: 0 });
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let requests = 0;
  let non2xx = 0;
  let errors = 0;
  let bytes = 0;

  const warmupEnd = performance.now() + spec.warmupSeconds * 1000;
  const end = warmupEnd + spec.seconds * 1000;
  const client = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      const { kind, path, body } = pick();
      const headers: Record<string, string> = { ...spec.headers };
      if (body !== undefined) headers["content-type"] = "application/json";
      let status = 0;
      let size = 0;
      let failure: string | null = null;
      try {
        const response = await pool.request({ method: kind.method, path, headers, body });
        status = response.statusCode;
        for await (const chunk of response.body) size += (chunk as Buffer).length;
      } catch (error) {
        failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      const done = performance.now();
      // Only requests sent after the warm-up and finished within the window count.
      if (sent < warmupEnd || done > end) continue;
      const stats = labels.get(kind.label) as {
        histogram: Histogram;
        requests: number;
        non2xx: number;
        errors: number;
      };
      if (failure !== null) {
        errors++;
        stats.errors++;
        if (errorSamples.length < 5) errorSamples.push(`${kind.method} ${path}: ${failure}`);
        continue;
      }
      requests++;
      stats.requests++;
      bytes += size;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status < 200 || status > 299) {
        non2xx++;
        stats.non2xx++;
        if (errorSamples.length < 5) errorSamples.push(`${kind.method} ${path}: HTTP ${status}`);
      }
      overall.record(done - sent);
      stats.histogram.record(done - sent);
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, client));
  await pool.close();

  return {
    seconds: spec.seconds,
    connections: spec.connections,
    requests,
    requestsPerSecond: requests / spec.seconds,
    bytes,
    latencyMs: overall.summary(),
    histogram: overall.entries(),
    non2xx,
    statuses,
    errors,
    errorSamples,
    byLabel: Object.fromEntries(
      [...labels].map(([label, s]) => [
        label,
        { requests: s.requests, non2xx: s.non2xx, errors: s.errors, latencyMs: s.histogram.summary() },
      ]),
    ),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (file === "--serve" && process.send) {
    // Forked by the suite: one window per message, the process kept between windows.
    process.on("message", (spec: LoadSpec) => {
      runLoad(spec).then(
        (result) => process.send?.({ result }),
        (error: unknown) => process.send?.({ error: error instanceof Error ? error.message : String(error) }),
      );
    });
  } else if (file) {
    const spec = JSON.parse(readFileSync(file, "utf8")) as LoadSpec;
    process.stdout.write(`${JSON.stringify(await runLoad(spec))}\n`);
  } else {
    process.stderr.write("usage: tsx bench/load.ts spec.json\n");
    process.exit(2);
  }
}
