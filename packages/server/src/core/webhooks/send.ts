import {
  type AttemptRecord,
  type ClaimedDelivery,
  claimDeliveries,
  type DeliveryOutcome,
  recordAttempt,
} from "../../store/webhooks.js";
import type { CoreDeps, WebhookSettings } from "../deps.js";
import { webhookPayload } from "./payload.js";
import { signatureHeaders } from "./signature.js";

const RESPONSE_EXCERPT = 1024;

/**
 * Sends due webhook deliveries in the background, up to `concurrency` at a time and at most
 * `perWebhook` to one endpoint. Endpoints on probation (new, or their latest attempt failed) get
 * one delivery in flight each and half the slots between them (see claimDeliveries): a dead
 * endpoint is found out by its first failure, and however many there are, the other half of the
 * slots stays free for endpoints that answer. Capping per endpoint alone did not do that: four
 * hanging endpoints at four each filled all sixteen slots until their attempts timed out.
 * `poke()` asks it to look for due work; it keeps claiming while slots are free and work is found.
 */
export class DeliverySender {
  private inFlight = 0;
  private onProbationInFlight = 0;
  private filling: Promise<void> | null = null;
  private refill = false;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly options: {
      concurrency: number;
      perWebhook: number;
      onError: (error: unknown) => void;
      /** Told the result of every attempt (for metrics). */
      onAttempt?: (result: "delivered" | "retrying" | "failed") => void;
    },
  ) {}

  poke(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = this.fill()
      .catch(this.options.onError)
      .finally(() => {
        this.filling = null;
        if (this.refill) this.poke();
      });
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
    await Promise.allSettled([...this.running]);
  }

  /** Resolves when nothing is in flight or being claimed (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.filling || this.running.size > 0) {
      await this.filling;
      await Promise.allSettled([...this.running]);
    }
  }

  private async fill(): Promise<void> {
    for (;;) {
      this.refill = false;
      const free = this.options.concurrency - this.inFlight;
      if (free <= 0 || this.stopped) return;
      const claimed = await claimDeliveries(this.deps.db, {
        limit: free,
        perWebhook: this.options.perWebhook,
        probationLimit: Math.max(0, this.probationSlots() - this.onProbationInFlight),
        leaseMs: this.deps.settings.webhooks.timeoutMs + 30_000,
      });
      for (const delivery of claimed) this.start(delivery);
      if (claimed.length < free && !this.refill) return;
    }
  }

  /** At least one, so a new endpoint can be tried even with a single slot. */
  private probationSlots(): number {
    return Math.max(1, Math.floor(this.options.concurrency / 2));
  }

  private start(delivery: ClaimedDelivery): void {
    this.inFlight++;
    if (delivery.on_probation) this.onProbationInFlight++;
    const task = deliver(this.deps, delivery)
      .then((outcome) => {
        this.options.onAttempt?.(outcome.status === "pending" ? "retrying" : outcome.status);
        // Retries come due without any NOTIFY: look again when this one does.
        if (outcome.status === "pending") setTimeout(() => this.poke(), outcome.retryInMs).unref();
      })
      .catch(this.options.onError)
      .finally(() => {
        this.inFlight--;
        if (delivery.on_probation) this.onProbationInFlight--;
        this.running.delete(task);
        this.poke();
      });
    this.running.add(task);
  }
}

/** One attempt: POST the signed payload, then record the attempt and what comes next. */
export async function deliver(deps: CoreDeps, delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
  const settings = deps.settings.webhooks;
  const body = JSON.stringify(webhookPayload(delivery));
  const startedAt = new Date();
  const attempt = await post(
    delivery.url,
    body,
    signatureHeaders(delivery.secret, String(delivery.event_id), body, startedAt),
    settings.timeoutMs,
  );
  const record: AttemptRecord = { startedAt, durationMs: Date.now() - startedAt.getTime(), ...attempt };
  const outcome = outcomeOf(record, delivery.attempts, settings);
  await deps.db.transaction((tx) => recordAttempt(tx, delivery, record, outcome));
  return outcome;
}

function outcomeOf(attempt: AttemptRecord, attempts: number, settings: WebhookSettings): DeliveryOutcome {
  const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300;
  if (ok) return { status: "delivered" };
  if (attempts >= settings.maxAttempts) return { status: "failed" };
  return { status: "pending", retryInMs: backoff(attempts, settings) };
}

/** Exponential backoff with ±20% jitter, so receivers recovering from an outage are not hit in lockstep. */
export function backoff(attempts: number, settings: WebhookSettings): number {
  const base = Math.min(settings.retryBaseMs * 2 ** (attempts - 1), settings.retryMaxMs);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

async function post(
  url: string,
  body: string,
  signature: Record<string, string>,
  timeoutMs: number,
): Promise<Pick<AttemptRecord, "statusCode" | "error" | "responseBody">> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "contactd-webhooks/1", ...signature },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const responseBody = await excerpt(response);
    const ok = response.status >= 200 && response.status < 300;
    return { statusCode: response.status, error: ok ? null : `HTTP ${response.status}`, responseBody };
  } catch (error) {
    return { statusCode: null, error: describe(error, timeoutMs), responseBody: null };
  }
}

/** The start of the receiver's answer, for the attempt log; the rest is not read. */
async function excerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < RESPONSE_EXCERPT) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  // PostgreSQL text cannot hold NUL characters.
  return text.slice(0, RESPONSE_EXCERPT).replaceAll("\u0000", "");
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause ?? (error instanceof Error ? error.message : String(error));
}
