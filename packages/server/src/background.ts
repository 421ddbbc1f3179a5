import type { Core } from "./core/index.js";

interface Log {
  error(obj: object, msg: string): void;
}

export interface BackgroundWork {
  /** Resolves once no dispatch or delivery is running or due to run now (for tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const POLL_MS = 1000;

/**
 * The process's background work: turning committed events into notifications and webhook
 * deliveries, sending the deliveries, and running CSV imports. Both wake at once on a NOTIFY from any process and
 * also poll, so a missed wake-up (or a retry coming due) waits at most a second.
 */
export async function startBackgroundWork(
  core: Core,
  log: Log,
  options: { concurrency?: number; perWebhook?: number } = {},
): Promise<BackgroundWork> {
  const dispatcher = singleFlight(
    async () => {
      await core.events.dispatchAll();
    },
    (err) => log.error({ err }, "event dispatch failed"),
  );
  const sender = core.webhooks.sender({
    concurrency: options.concurrency ?? 16,
    perWebhook: options.perWebhook ?? 4,
    onError: (err) => log.error({ err }, "webhook delivery failed"),
  });
  const importer = singleFlight(
    async () => {
      await core.imports.runDue();
    },
    (err) => log.error({ err }, "import failed"),
  );
  const stopWatchingEvents = await core.events.watch(() => dispatcher.run());
  const stopWatchingImports = await core.imports.watch(() => importer.run());
  const stopWatchingDeliveries = await core.webhooks.watch(() => sender.poke());
  const timer = setInterval(() => {
    dispatcher.run();
    sender.poke();
    importer.run();
  }, POLL_MS);
  dispatcher.run();
  sender.poke();
  importer.run();
  return {
    async settled() {
      await importer.idle();
      await dispatcher.idle();
      await sender.idle();
    },
    async stop() {
      clearInterval(timer);
      await stopWatchingEvents();
      await stopWatchingDeliveries();
      await stopWatchingImports();
      // A running import finishes its current batches; one cut short resumes once its lease ends.
      await importer.idle();
      await dispatcher.idle();
      await sender.stop();
    },
  };
}

/** Runs `work` now, or once more right after the current run if one is going: never two at once. */
function singleFlight(work: () => Promise<void>, onError: (error: unknown) => void) {
  let current: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (current) {
      again = true;
      return;
    }
    again = false;
    current = work()
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
