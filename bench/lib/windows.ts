import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { LoadResult, LoadSpec, RequestKind } from "../load.js";
import { Histogram, type HistogramSummary } from "./histogram.js";
import { busyPct, loadAverage, machineCpu, pause, pinTo, processCpu } from "./machine.js";
import { log, ROOT, round } from "./util.js";

/** How long and how hard each measured window runs. */
export interface WindowSettings {
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Windows per arm of a comparison, taken in turns. */
  rounds: number;
  /** The CPU the compared servers share through the windows (`sharedCpu`); null to leave them be. */
  cpu?: number | null;
  /**
   * What the database's busy sessions wait for right now, one label per session ("CPU" when it
   * waits for nothing): sampled through each window when given (PostgreSQL), see WaitSampler.
   */
  waits?: () => Promise<string[]>;
}

/** Time between two samples of the sessions' waits. */
const WAIT_SAMPLE_MS = 20;

/**
 * Counts, through a window, what the database's busy sessions wait for: a slow window's cause
 * (row or buffer locks, reads, WAL) told apart from queueing for the CPU.
 */
class WaitSampler {
  private readonly counts = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>;

  constructor(sample: () => Promise<string[]>) {
    this.done = this.loop(sample);
  }

  private async loop(sample: () => Promise<string[]>): Promise<void> {
    while (this.running) {
      for (const label of await sample()) this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, WAIT_SAMPLE_MS));
    }
  }

  /** Samples by wait, most frequent first. */
  async stop(): Promise<Record<string, number>> {
    this.running = false;
    await this.done;
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

function topWaits(waits: Record<string, number> | undefined): string {
  const top = Object.entries(waits ?? {}).slice(0, 4);
  return top.length === 0 ? "" : `; waits ${top.map(([label, n]) => `${label} ${n}`).join(", ")}`;
}

/** One side of a comparison: a server and the requests it gets. */
export interface Arm {
  name: string;
  origin: string;
  headers?: Record<string, string>;
  requests: RequestKind[];
  /** The server's process, whose CPU time per request the windows report. */
  pid?: number;
}

export interface ArmResult {
  name: string;
  requestsPerSecond: number;
  latencyMs: HistogramSummary;
  requests: number;
  non2xx: number;
  errors: number;
  errorSamples: string[];
  /** The server process's CPU time (user and system, all its threads) per request, when its pid is known. */
  serverCpuUsPerRequest: number | null;
  windows: Array<{
    requestsPerSecond: number;
    latencyMs: HistogramSummary;
    machineBusyPct: number;
    loadAverage: number[];
    statuses: Record<string, number>;
    byLabel: LoadResult["byLabel"];
    /** Samples of the database's busy sessions by what they waited for (PostgreSQL). */
    waits?: Record<string, number>;
  }>;
}

type WindowResult = LoadResult & {
  machineBusyPct: number;
  serverCpuSeconds: number | null;
  loadAverage: number[];
  waits?: Record<string, number>;
};

let generator: ChildProcess | null = null;

/** The load generator's process, forked once and kept for every window. */
function loadGenerator(): ChildProcess {
  if (generator && generator.exitCode === null) return generator;
  generator = fork(join(ROOT, "bench/load.ts"), ["--serve"], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  generator.unref();
  generator.channel?.unref();
  return generator;
}

export function stopLoadGenerator(): void {
  generator?.kill();
  generator = null;
}

/**
 * One window of bench/load.ts, in its own process; with `serverPid`, also the CPU time that
 * server used over the measured part.
 */
export async function loadWindow(
  spec: LoadSpec,
  serverPid?: number,
): Promise<LoadResult & { machineBusyPct: number; serverCpuSeconds: number | null }> {
  const child = loadGenerator();
  child.channel?.ref();
  const serverCpu = () => (serverPid === undefined ? 0 : processCpu(serverPid));
  // The machine's busy share and the server's CPU over the measured part only, after the warm-up.
  let machineStart = machineCpu();
  let serverStart = serverCpu();
  const warm = setTimeout(() => {
    machineStart = machineCpu();
    serverStart = serverCpu();
  }, spec.warmupSeconds * 1000);
  try {
    const answer = new Promise<{ result?: LoadResult; error?: string }>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the load generator exited (${code})`));
      child.once("exit", onExit);
      child.once("message", (message) => {
        child.off("exit", onExit);
        resolve(message as { result?: LoadResult; error?: string });
      });
    });
    child.send(spec);
    const { result, error } = await answer;
    if (!result) throw new Error(`load generator failed: ${error}`);
    return {
      ...result,
      machineBusyPct: busyPct(machineStart, machineCpu()),
      serverCpuSeconds: serverPid === undefined ? null : round(serverCpu() - serverStart, 2),
    };
  } finally {
    clearTimeout(warm);
    child.channel?.unref();
  }
}

/**
 * Runs every arm for `rounds` windows, back to back and in turns (the order reversed every other
 * round), so that noise on the shared machine falls on all of them; merges each arm's windows.
 * With `settings.cpu`, the arms' servers run on that one CPU meanwhile.
 */
export async function compare(label: string, arms: Arm[], settings: WindowSettings): Promise<ArmResult[]> {
  const pids = [...new Set(arms.flatMap((arm) => (arm.pid === undefined ? [] : [arm.pid])))];
  const release = settings.cpu != null && pids.length > 1 ? pinTo(settings.cpu, pids) : null;
  try {
    return await inTurns(label, arms, pids, settings);
  } finally {
    release?.();
  }
}

async function inTurns(label: string, arms: Arm[], pids: number[], settings: WindowSettings): Promise<ArmResult[]> {
  const collected = arms.map(() => [] as WindowResult[]);
  for (let turn = 0; turn < settings.rounds; turn++) {
    const order = arms.map((_, i) => i);
    if (turn % 2 === 1) order.reverse();
    for (const i of order) {
      const arm = arms[i] as Arm;
      const sampler = settings.waits ? new WaitSampler(settings.waits) : null;
      // The other arms' servers are stopped through this arm's window: idle, they still wake.
      const resume = pause(pids.filter((pid) => pid !== arm.pid));
      const result = await loadWindow(
        {
          origin: arm.origin,
          connections: settings.connections,
          warmupSeconds: settings.warmupSeconds,
          seconds: settings.seconds,
          headers: arm.headers ?? {},
          requests: arm.requests,
          seed: turn + 1,
        },
        arm.pid,
      ).finally(resume);
      const waits = await sampler?.stop();
      collected[i]?.push({ ...result, loadAverage: loadAverage(), ...(waits ? { waits } : {}) });
      log(
        `${label} / ${arm.name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` +
          (result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : "") +
          cpuPerRequest(result.serverCpuSeconds, result.requests) +
          topWaits(waits),
      );
    }
  }
  return arms.map((arm, i) => merge(arm.name, collected[i] ?? []));
}

/** Microseconds of the server's CPU per request; null without a server to read. */
function usPerRequest(cpuSeconds: number | null, requests: number): number | null {
  return cpuSeconds === null || requests === 0 ? null : round((cpuSeconds * 1e6) / requests, 1);
}

function cpuPerRequest(cpuSeconds: number | null, requests: number): string {
  const us = usPerRequest(cpuSeconds, requests);
  return us === null ? "" : `, server CPU ${us} µs/request`;
}

function merge(name: string, windows: WindowResult[]): ArmResult {
  const histogram = new Histogram();
  let requests = 0;
  let seconds = 0;
  let cpuSeconds: number | null = null;
  for (const w of windows) {
    histogram.merge(w.histogram, w.latencyMs);
    requests += w.requests;
    seconds += w.seconds;
    if (w.serverCpuSeconds !== null) cpuSeconds = (cpuSeconds ?? 0) + w.serverCpuSeconds;
  }
  return {
    name,
    requestsPerSecond: round(requests / Math.max(seconds, 1e-9), 1),
    latencyMs: histogram.summary(),
    requests,
    non2xx: windows.reduce((sum, w) => sum + w.non2xx, 0),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
    errorSamples: windows.flatMap((w) => w.errorSamples).slice(0, 5),
    serverCpuUsPerRequest: usPerRequest(cpuSeconds, requests),
    windows: windows.map((w) => ({
      requestsPerSecond: round(w.requestsPerSecond, 1),
      latencyMs: w.latencyMs,
      machineBusyPct: w.machineBusyPct,
      loadAverage: w.loadAverage,
      statuses: w.statuses,
      byLabel: w.byLabel,
      ...(w.waits ? { waits: w.waits } : {}),
    })),
  };
}

/** A GET request kind cycling through paths. */
export const gets = (label: string, paths: string[], weight = 1): RequestKind => ({
  label,
  weight,
  method: "GET",
  paths,
});
