import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RequestMetrics } from "../src/request-metrics.js";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const NAMES = { requests: "t_requests_total", latency: "t_latency_seconds" };

/** The sample lines (name, labels and value), without HELP and TYPE, in a stable order. */
function samples(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .sort();
}

describe("request metrics", () => {
  it("write the same samples as prom-client's Counter and Histogram given the same requests", async () => {
    const observations: Array<[string, string, number, number]> = [
      ["GET", "/v1/contacts/:id", 200, 0.0004],
      ["GET", "/v1/contacts/:id", 200, 0.001], // on a bound: counted in that bucket (le)
      ["GET", "/v1/contacts/:id", 404, 0.02],
      ["POST", "/v1/contacts", 201, 0.3],
      ["POST", "/v1/contacts", 422, 7], // past every bound: +Inf only
      ["GET", "(unmatched)", 404, 0.00001],
    ];
    const ours = new RequestMetrics(BUCKETS, NAMES);
    const registry = new Registry();
    const counter = new Counter({
      name: NAMES.requests,
      help: "h",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: NAMES.latency,
      help: "h",
      labelNames: ["method", "route"],
      buckets: BUCKETS,
      registers: [registry],
    });
    for (const [method, route, status, seconds] of observations) {
      ours.observe(method, route, status, seconds);
      counter.inc({ method, route, status: String(status) });
      histogram.observe({ method, route }, seconds);
    }
    const text = ours.exposition();
    expect(samples(text)).toEqual(samples(await registry.metrics()));
    expect(text).toContain('t_latency_seconds_bucket{le="0.001",method="GET",route="/v1/contacts/:id"} 2');
    expect(text).toContain('t_latency_seconds_bucket{le="1",method="POST",route="/v1/contacts"} 1');
    expect(text).toContain('t_latency_seconds_bucket{le="+Inf",method="POST",route="/v1/contacts"} 2');
    expect(text).toContain('t_requests_total{method="GET",route="/v1/contacts/:id",status="200"} 2');
  });

  it("declares each metric's type once, before its samples", () => {
    const metrics = new RequestMetrics(BUCKETS, NAMES);
    metrics.observe("GET", "/a", 200, 0.5);
    metrics.observe("GET", "/b", 200, 0.5);
    const lines = metrics.exposition().split("\n");
    expect(lines.filter((line) => line.startsWith("# TYPE"))).toEqual([
      "# TYPE t_requests_total counter",
      "# TYPE t_latency_seconds histogram",
    ]);
    const histogramType = lines.indexOf("# TYPE t_latency_seconds histogram");
    expect(lines.findIndex((line) => line.startsWith("t_latency_seconds"))).toBeGreaterThan(histogramType);
    expect(lines.findLastIndex((line) => line.startsWith("t_requests_total"))).toBeLessThan(histogramType);
  });

  it("escapes backslashes, quotes and newlines in label values", () => {
    const metrics = new RequestMetrics(BUCKETS, NAMES);
    metrics.observe("GET", 'a\\b"c\nd', 200, 0.5);
    expect(metrics.exposition()).toContain('t_requests_total{method="GET",route="a\\\\b\\"c\\nd",status="200"} 1');
  });

  it("shows only the headers before any request", () => {
    const text = new RequestMetrics(BUCKETS, NAMES).exposition();
    expect(samples(text)).toEqual([]);
    expect(text.endsWith("\n")).toBe(true);
  });
});
