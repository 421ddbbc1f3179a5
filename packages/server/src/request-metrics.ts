/**
 * Requests answered and their latency, by method and route pattern, written out in Prometheus's
 * text format. Kept by hand rather than with prom-client's Counter and Histogram: those hash their
 * label object on every `inc` and `observe`, a few microseconds of every request; here a request
 * costs two Map lookups on strings it already has, and the text is made only when scraped.
 */
export class RequestMetrics {
  /** method → route pattern → its figures. */
  readonly #series = new Map<string, Map<string, RouteFigures>>();

  constructor(
    /** Upper bounds of the latency buckets, in seconds, ascending. */
    readonly buckets: readonly number[],
    readonly names: { requests: string; latency: string },
  ) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const figures = this.#figures(method, route);
    figures.statuses.set(status, (figures.statuses.get(status) ?? 0) + 1);
    const bucket = bucketIndex(this.buckets, seconds);
    figures.bucketCounts[bucket] = (figures.bucketCounts[bucket] ?? 0) + 1;
    figures.count++;
    figures.sum += seconds;
  }

  /** Both metrics, each with its HELP and TYPE lines, ending with a newline. */
  exposition(): string {
    const { requests, latency } = this.names;
    const counts = [`# HELP ${requests} Requests answered, by route pattern and status`, `# TYPE ${requests} counter`];
    const histogram = [
      `# HELP ${latency} Time from receiving a request to the end of its answer, by route pattern`,
      `# TYPE ${latency} histogram`,
    ];
    for (const [method, byRoute] of this.#series) {
      for (const [route, figures] of byRoute) {
        const labels = `method="${escapeLabel(method)}",route="${escapeLabel(route)}"`;
        for (const [status, n] of figures.statuses) counts.push(`${requests}{${labels},status="${status}"} ${n}`);
        let cumulative = 0;
        this.buckets.forEach((bound, i) => {
          cumulative += figures.bucketCounts[i] ?? 0;
          histogram.push(`${latency}_bucket{le="${bound}",${labels}} ${cumulative}`);
        });
        histogram.push(`${latency}_bucket{le="+Inf",${labels}} ${figures.count}`);
        histogram.push(`${latency}_sum{${labels}} ${figures.sum}`);
        histogram.push(`${latency}_count{${labels}} ${figures.count}`);
      }
    }
    return `${counts.join("\n")}\n\n${histogram.join("\n")}\n`;
  }

  #figures(method: string, route: string): RouteFigures {
    let byRoute = this.#series.get(method);
    if (!byRoute) {
      byRoute = new Map();
      this.#series.set(method, byRoute);
    }
    let figures = byRoute.get(route);
    if (!figures) {
      // One count per bucket and one past the last bound (+Inf only).
      figures = { statuses: new Map(), bucketCounts: new Array(this.buckets.length + 1).fill(0), count: 0, sum: 0 };
      byRoute.set(route, figures);
    }
    return figures;
  }
}

interface RouteFigures {
  statuses: Map<number, number>;
  /** Requests per bucket, not cumulative: the text adds them up. */
  bucketCounts: number[];
  count: number;
  sum: number;
}

/** The first bucket whose upper bound holds `seconds` (Prometheus's `le`), or the one past them all. */
function bucketIndex(bounds: readonly number[], seconds: number): number {
  const i = bounds.findIndex((bound) => seconds <= bound);
  return i === -1 ? bounds.length : i;
}

/** Label values escape backslash, double quote and newline (the text format's rules). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
