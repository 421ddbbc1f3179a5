import type { Core } from "./core/index.js";
import type { Metrics } from "./metrics.js";

interface Log {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface BackgroundWork {
  /** Resolves once no background work is running or due to run now (for tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const POLL_MS = 1000;
/** Leftovers are an hour old before they go (core/housekeeping), so sweeping hourly is enough. */
const SWEEP_MS = 60 * 60 * 1000;
/** As often as autovacuum looks (its default naptime). */
const MAINTENANCE_MS = 60 * 1000;

/**
 * The process's background work: turning committed events into notifications and webhook
 * deliveries, sending the deliveries, and running CSV imports and exports. Each kind wakes at
 * once on a NOTIFY from any process and also polls, so a missed wake-up (or a retry coming due)
 * waits at most a second. Jobs are claimed with SKIP LOCKED and leases, so processes share them.
 * It also merges GIN pending lists, and on the embedded database does autovacuum's work (`maintenance`).
 */
export type BackgroundKind = "events" | "webhooks" | "imports" | "exports" | "sweep" | "maintenance";
export const ALL_BACKGROUND_WORK: readonly BackgroundKind[] = [
  "events",
  "webhooks",
  "imports",
  "exports",
  "sweep",
  "maintenance",
];

export async function startBackgroundWork(
  core: Core,
  log: Log,
  options: { concurrency?: number; perWebhook?: number; kinds?: readonly BackgroundKind[]; metrics?: Metrics } = {},
): Promise<BackgroundWork> {
  const kinds = new Set(options.kinds ?? ALL_BACKGROUND_WORK);
  const sender = kinds.has("webhooks")
    ? core.webhooks.sender({
        concurrency: options.concurrency ?? 16,
        perWebhook: options.perWebhook ?? 4,
        onError: (err) => log.error({ err }, "webhook delivery failed"),
        onAttempt: (result) => options.metrics?.countDelivery(result),
      })
    : null;
  const loops: Array<ReturnType<typeof singleFlight>> = [];
  const stopping = new AbortController();
  const unwatch: Array<() => Promise<void>> = [];
  const loop = async (
    work: () => Promise<unknown>,
    watch: (wake: () => void) => Promise<() => Promise<void>>,
    what: string,
  ) => {
    const flight = singleFlight(work, (err) => log.error({ err }, `${what} failed`));
    loops.push(flight);
    unwatch.push(await watch(() => flight.run()));
  };
  if (kinds.has("events")) await loop(() => core.events.dispatchAll(), core.events.watch, "event dispatch");
  if (kinds.has("imports")) {
    await loop(() => core.imports.runDue({ signal: stopping.signal }), core.imports.watch, "import");
  }
  if (kinds.has("exports")) await loop(() => core.exports.runDue(), core.exports.watch, "export");
  if (sender) unwatch.push(await core.webhooks.watch(() => sender.poke()));
  const tick = () => {
    for (const flight of loops) flight.run();
    sender?.poke();
  };
  const timer = setInterval(tick, POLL_MS);
  tick();
  const timed: Periodic[] = [];
  // Sweeping at start-up (what a crash left) and then hourly.
  if (kinds.has("sweep")) timed.push(periodic(() => sweepAndLog(core, log), SWEEP_MS, { atStart: true }));
  if (kinds.has("maintenance")) timed.push(periodic(() => maintainAndLog(core, log), MAINTENANCE_MS));
  return {
    async settled() {
      // Run every kind once more: work committed before this call may not have woken it yet.
      tick();
      for (const flight of loops) await flight.idle();
      await sender?.idle();
    },
    async stop() {
      clearInterval(timer);
      for (const work of timed) await work.stop();
      stopping.abort();
      for (const stop of unwatch) await stop();
      // A running import finishes its current batch and is handed on, to resume from its checkpoint.
      for (const flight of loops) await flight.idle();
      await sender?.stop();
    },
  };
}

async function sweepAndLog(core: Core, log: Log): Promise<void> {
  try {
    const swept = await core.sweepLeftovers();
    if (Object.values(swept).some((n) => n > 0)) log.info({ swept }, "removed leftovers");
  } catch (err) {
    log.error({ err }, "sweeping leftovers failed");
  }
}

async function maintainAndLog(core: Core, log: Log): Promise<void> {
  try {
    const done = await core.maintainDatabase();
    if (done.vacuumed.length + done.analyzed.length + done.pendingPages > 0) log.info(done, "maintained the database");
  } catch (err) {
    log.error({ err }, "maintaining the database failed");
  }
}

interface Periodic {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Runs `work` every `ms` (and at once if `atStart`), never two at once; it must not throw. */
function periodic(work: () => Promise<void>, ms: number, options: { atStart?: boolean } = {}): Periodic {
  const flight = singleFlight(work, () => {});
  if (options.atStart) flight.run();
  const timer = setInterval(flight.run, ms);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await flight.idle();
    },
  };
}

/** Runs `work` now, or once more right after the current run if one is going: never two at once. */
function singleFlight(work: () => Promise<unknown>, onError: (error: unknown) => void) {
  let current: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (current) {
      again = true;
      return;
    }
    again = false;
    current = work()
      .then(() => undefined)
      .catch(onError)
      .finally(() => {
        current = null;
        if (again) run();
      });
  };
  return {
    run,
    async idle() {
      while (current) await current;
    },
  };
}
