import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { ROOT, round } from "./util.js";

export function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used. */
export function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine, all CPUs. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...numbers] = (readFileSync("/proc/stat", "utf8").split("\n")[0] as string).trim().split(/\s+/);
  const v = numbers.map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Busy share (percent) of all the machine's CPUs between two readings, every process included. */
export function busyPct(start: { busy: number; total: number }, end: { busy: number; total: number }): number {
  return round((100 * (end.busy - start.busy)) / Math.max(1, end.total - start.total), 1);
}

/** Samples a process's RSS every 250 ms and keeps the peak of the current phase. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  private phasePeak = 0;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 250);
  }
  private sample(): number {
    const rss = procStatus(this.pid, "VmRSS");
    if (rss > this.phasePeak) this.phasePeak = rss;
    return rss;
  }
  /** Starts a new phase; returns the RSS now. */
  reset(): number {
    this.phasePeak = 0;
    return this.sample();
  }
  peak(): number {
    this.sample();
    return this.phasePeak;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export const loadAverage = () => os.loadavg().map((l) => round(l));

/** The machine the figures come from; other work may share it, as the load average shows. */
export function machineInfo(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadAverageStart: loadAverage(),
    shared: true,
  };
}

/** The commit, and whether the product's sources differ from it. */
export function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--", "packages"], { cwd: ROOT, encoding: "utf8" });
    return { commit, dirty: status.trim() !== "" };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

/**
 * The CPU the servers of a comparison share while their windows run: `requested` ("none" for no
 * pinning), else the last CPU when the machine has two or more and `taskset` is at hand. Left to
 * the scheduler, each server keeps to a core of its own between its windows, and one core of a
 * shared machine can run slower than the other for minutes: the ratio then measures the cores.
 */
export function sharedCpu(requested: string | undefined): number | null {
  const cpus = os.availableParallelism();
  if (requested === "none") return null;
  if (requested !== undefined) {
    const cpu = Number(requested);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) throw new Error(`--cpu must be 0 to ${cpus - 1} or "none"`);
    return cpu;
  }
  if (cpus < 2) return null;
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
    return cpus - 1;
  } catch {
    return null;
  }
}

/** Pins every thread of the processes to one CPU; returns what lets them run on any again. */
export function pinTo(cpu: number, pids: readonly number[]): () => void {
  const affinity = (list: string) => {
    for (const pid of pids) {
      try {
        execFileSync("taskset", ["-a", "-cp", list, String(pid)], { stdio: "ignore" });
      } catch {
        // A process gone meanwhile has nothing to pin.
      }
    }
  };
  affinity(String(cpu));
  return () => affinity(`0-${os.availableParallelism() - 1}`);
}

/**
 * Stops the processes (SIGSTOP) until the returned function resumes them (SIGCONT): a server idle
 * beside the one measured still wakes on its timers (the product's event-loop monitor 100 times a
 * second, its background polls every second), on the CPU the two share.
 */
export function pause(pids: readonly number[]): () => void {
  const signal = (name: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // A process gone meanwhile has nothing to stop or resume.
      }
    }
  };
  signal("SIGSTOP");
  return () => signal("SIGCONT");
}
