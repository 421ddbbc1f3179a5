/** Buckets 1 % wide on a log scale: percentiles within 1 %, and windows merge by adding counts. */
const STEP = Math.log(1.01);

export interface HistogramSummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  private count = 0;
  private sum = 0;
  private max = 0;

  /** Records a latency in milliseconds. */
  record(ms: number): void {
    const bucket = Math.floor(Math.log(Math.max(1, ms * 1000)) / STEP);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram's buckets (from `entries`) and its summary's count, mean and max. */
  merge(entries: Array<[number, number]>, summary: HistogramSummary): void {
    for (const [bucket, n] of entries) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += summary.count;
    this.sum += summary.mean * summary.count;
    if (summary.max > this.max) this.max = summary.max;
  }

  entries(): Array<[number, number]> {
    return [...this.counts].sort((a, b) => a[0] - b[0]);
  }

  /** The latency (ms) below which `q` of the samples lie: the middle of its bucket. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const [bucket, n] of this.entries()) {
      seen += n;
      if (seen >= rank) return Math.min(this.max, Math.exp((bucket + 0.5) * STEP) / 1000);
    }
    return this.max;
  }

  summary(): HistogramSummary {
    const r = (v: number) => Math.round(v * 1000) / 1000;
    return {
      count: this.count,
      mean: r(this.count === 0 ? 0 : this.sum / this.count),
      p50: r(this.percentile(0.5)),
      p90: r(this.percentile(0.9)),
      p99: r(this.percentile(0.99)),
      max: r(this.max),
    };
  }
}
