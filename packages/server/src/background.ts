import type { Core } from "./core/index.js";

interface Log {
  error(obj: object, msg: string): void;
}

export interface BackgroundWork {
  /** Resolves once no background work is running or due to run now (for tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const POLL_MS = 1000;

/**
 * The process's background work: turning committed events into notifications and webhook
 * deliveries, sending the deliveries, and running CSV imports and exports. Each kind wakes at
 * once on a NOTIFY from any process and also polls, so a missed wake-up (or a retry coming due)
 * waits at most a second. Jobs are claimed with SKIP LOCKED and leases, so processes share them.
 */
export async function startBackgroundWork(
  core: Core,
  log: Log,
  options: { concurrency?: number; perWebhook?: number } = {},
): Promise<BackgroundWork> {
  const sender = core.webhooks.sender({
    concurrency: options.concurrency ?? 16,
    perWebhook: options.perWebhook ?? 4,
    onError: (err) => log.error({ err }, "webhook delivery failed"),
  });
  const loops = [
    singleFlight(
      () => core.events.dispatchAll(),
      (err) => log.error({ err }, "event dispatch failed"),
    ),
    singleFlight(
      () => core.imports.runDue(),
      (err) => log.error({ err }, "import failed"),
    ),
    singleFlight(
      () => core.exports.runDue(),
      (err) => log.error({ err }, "export failed"),
    ),
  ] as const;
  const [dispatcher, importer, exporter] = loops;
  const unwatch = [
    await core.events.watch(() => dispatcher.run()),
    await core.imports.watch(() => importer.run()),
    await core.exports.watch(() => exporter.run()),
    await core.webhooks.watch(() => sender.poke()),
  ];
  const tick = () => {
    for (const loop of loops) loop.run();
    sender.poke();
  };
  const timer = setInterval(tick, POLL_MS);
  tick();
  return {
    async settled() {
      for (const loop of loops) await loop.idle();
      await sender.idle();
    },
    async stop() {
      clearInterval(timer);
      for (const stop of unwatch) await stop();
      // A running import finishes its current batch; one cut short resumes once its lease ends.
      for (const loop of loops) await loop.idle();
      await sender.stop();
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
