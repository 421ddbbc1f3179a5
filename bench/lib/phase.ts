import { busyPct, machineCpu, processCpu, type RssSampler } from "./machine.js";
import type { Psql } from "./psql.js";
import { log, mb, round } from "./util.js";

export interface PhaseStats {
  seconds: number;
  serverCpuSeconds: number | null;
  /** Busy share of all the machine's CPUs during the phase (every process, not only ours). */
  machineBusyPct: number;
  serverRssStartMb: number | null;
  serverPeakRssMb: number | null;
  walMb: number | null;
}

export interface Watched {
  pid: number;
  rss: RssSampler;
}

/**
 * Times `work` and records what the machine and the server did meanwhile; with `wal`, also the WAL
 * the database wrote (PostgreSQL only).
 */
export async function phase<T>(
  name: string,
  server: Watched | null,
  work: () => Promise<T>,
  wal: { psql: Psql; db: string } | null = null,
): Promise<{ result: T; stats: PhaseStats }> {
  log(`${name}…`);
  const walStart = wal ? await wal.psql.run(wal.db, "SELECT pg_current_wal_lsn()") : null;
  const rssStart = server?.rss.reset() ?? null;
  const cpuStart = server ? processCpu(server.pid) : 0;
  const machineStart = machineCpu();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const machineEnd = machineCpu();
  const walBytes = wal
    ? Number(await wal.psql.run(wal.db, `SELECT pg_current_wal_lsn() - '${walStart}'::pg_lsn`))
    : null;
  const stats: PhaseStats = {
    seconds: round(seconds, 3),
    serverCpuSeconds: server ? round(processCpu(server.pid) - cpuStart) : null,
    machineBusyPct: busyPct(machineStart, machineEnd),
    serverRssStartMb: rssStart === null ? null : mb(rssStart),
    serverPeakRssMb: server ? mb(server.rss.peak()) : null,
    walMb: walBytes === null ? null : mb(walBytes),
  };
  log(`${name}: ${stats.seconds} s`);
  return { result, stats };
}
