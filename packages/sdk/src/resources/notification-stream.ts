import { type APIClient, describe } from "../client.js";
import { APIConnectionError, APIError, APIUserAbortError, ContactdError } from "../errors.js";
import type { Notification, NotificationStreamOptions } from "../notification-types.js";
import { isRetryableStatus, parseRetryAfter, sleep } from "../retry.js";
import { type SseEvent, SseParser } from "../sse.js";

/** Until the server says otherwise with `retry:`. */
const DEFAULT_RETRY_MS = 1_000;
/** The most a run of failed reconnects backs off to. */
const MAX_BACKOFF_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;
/** Backoff starts here at least, so that `retry: 0` cannot make failing reconnects spin. */
const MIN_BACKOFF_MS = 250;

/**
 * The calling user's notifications as they happen, over Server-Sent Events:
 *
 * ```ts
 * const stream = client.notifications.stream();
 * await stream.ready; // subscribed: nothing from now on is missed
 * for await (const notification of stream) console.log(notification.type);
 * ```
 *
 * It connects at once. A dropped connection is reopened by itself (unless `reconnect: false`),
 * resuming after the last notification received, so none is missed or seen twice. Iteration ends
 * on `close()`, on `break`, or when the `signal` aborts; each of those also ends the request. An
 * HTTP error other than a 5xx or 429 (say an AuthenticationError) is thrown from the loop.
 * Reading is driven by the loop: notifications wait at the server while the loop body runs.
 */
export class NotificationStream implements AsyncIterable<Notification> {
  /**
   * Resolves once the stream is subscribed, so that anything happening afterwards is delivered.
   * Rejects when the stream fails or is closed before that.
   */
  readonly ready: Promise<void>;
  readonly #client: APIClient;
  readonly #options: NotificationStreamOptions;
  readonly #closer = new AbortController();
  readonly #events: AsyncGenerator<Notification, void, undefined>;
  readonly #onAbort = () => this.close();
  // The first step runs before anyone iterates, so that `ready` settles without a loop.
  #prefetched: Promise<IteratorResult<Notification, void>> | undefined;
  /** Where a reconnect resumes: the newest id seen on the wire. */
  #resumeId: string | undefined;
  /** The last notification handed to the caller (what `lastEventId` reports). */
  #deliveredId: string | undefined;
  #retryMs = DEFAULT_RETRY_MS;
  #iterated = false;
  #resolveReady: () => void = () => {};
  #rejectReady: (reason: unknown) => void = () => {};

  constructor(client: APIClient, options: NotificationStreamOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.#resumeId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
    this.#deliveredId = this.#resumeId;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody need be waiting on `ready`; a failure also reaches the loop.
    this.ready.catch(() => {});
    this.#events = this.#run();
    if (options.signal?.aborted) this.close();
    else options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#prefetched = this.#events.next();
    this.#prefetched.catch(() => {});
  }

  /**
   * The id of the last notification received (or the `lastEventId` given, before any): pass it as
   * `lastEventId` to a later stream to continue where this one stopped.
   */
  get lastEventId(): string | undefined {
    return this.#deliveredId;
  }

  /** Ends the stream and its request; a loop over it finishes normally. Calling it again does nothing. */
  close(): void {
    if (this.#closer.signal.aborted) return;
    this.#closer.abort();
    this.#rejectReady(new APIUserAbortError("The notification stream was closed"));
    this.#events.return(undefined).catch(() => {});
  }

  /** A stream has one reader: a second loop would silently split the notifications between them. */
  [Symbol.asyncIterator](): AsyncIterator<Notification, void, undefined> {
    if (this.#iterated) throw new ContactdError("A notification stream can be iterated only once; open another");
    this.#iterated = true;
    return {
      next: async () => {
        const pending = this.#prefetched ?? this.#events.next();
        this.#prefetched = undefined;
        const result = await pending;
        // A notification read ahead before close() is not handed out after it.
        if (this.#closer.signal.aborted) return { done: true, value: undefined };
        if (!result.done) this.#deliveredId = result.value.id;
        return result;
      },
      return: async () => {
        this.close();
        await this.#events.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }

  async *#run(): AsyncGenerator<Notification, void, undefined> {
    const reconnect = this.#options.reconnect ?? true;
    // Failed connections in a row; reset once the server says the subscription is live.
    let failures = 0;
    try {
      while (!this.#closer.signal.aborted) {
        let retryAfter: number | undefined;
        const connection = new AbortController();
        const abortConnection = () => connection.abort();
        this.#closer.signal.addEventListener("abort", abortConnection, { once: true });
        try {
          const response = await this.#open(connection.signal);
          for await (const event of this.#read(response)) {
            if (event.id !== undefined && event.event !== "notification") this.#advance(event.id);
            if (event.event === "ready") {
              failures = 0;
              this.#resolveReady();
            } else if (event.event === "notification") {
              const notification = parseNotification(event.data);
              // Replays after a reconnect may overlap what was already delivered.
              if (this.#resumeId !== undefined && compareIds(notification.id, this.#resumeId) <= 0) continue;
              this.#resumeId = notification.id;
              yield notification;
            }
          }
        } catch (error) {
          if (this.#closer.signal.aborted) return;
          if (!reconnect || !isTransient(error)) throw error;
          if (error instanceof APIError) retryAfter = parseRetryAfter(error.headers.get("retry-after"));
        } finally {
          this.#closer.signal.removeEventListener("abort", abortConnection);
          // Also when the loop left early: the request must not outlive its reader.
          connection.abort();
        }
        if (!reconnect) return;
        // The server's `retry:` after a good connection; doubling (with jitter) while reconnects keep failing.
        const backoff =
          failures === 0
            ? this.#retryMs
            : Math.min(Math.max(this.#retryMs, MIN_BACKOFF_MS) * 2 ** failures, MAX_BACKOFF_MS) *
              (1 - 0.25 * Math.random());
        failures++;
        try {
          await sleep(Math.max(backoff, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_MS)), this.#closer.signal);
        } catch {
          return;
        }
      }
    } catch (error) {
      this.#rejectReady(error);
      throw error;
    } finally {
      this.#rejectReady(new ContactdError("The notification stream ended before it was live"));
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
    }
  }

  async #open(signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#resumeId !== undefined) headers["last-event-id"] = this.#resumeId;
    const response = await this.#client.openStream({
      method: "GET",
      path: "/notifications/stream",
      options: { signal, timeout: this.#options.timeout, headers },
    });
    const type = response.headers.get("content-type") ?? "";
    if (!/^text\/event-stream\b/i.test(type) || response.body === null) {
      response.body?.cancel().catch(() => {});
      throw new ContactdError(`Expected a text/event-stream response, got ${type || "no content type"}`);
    }
    return response;
  }

  /** The events of one response body as they arrive; a broken connection is an APIConnectionError. */
  async *#read(response: Response): AsyncGenerator<SseEvent, void, undefined> {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new APIConnectionError(`The notification stream was interrupted: ${describe(error)}`, { cause: error });
        }
        if (chunk.done) return;
        const events = parser.push(decoder.decode(chunk.value, { stream: true }));
        if (parser.retry !== undefined) this.#retryMs = parser.retry;
        yield* events;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  #advance(id: string): void {
    if (this.#resumeId === undefined || compareIds(id, this.#resumeId) > 0) this.#resumeId = id;
  }
}

/** Worth reconnecting after: a network failure, or a status that may well pass (5xx, 429). */
function isTransient(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true;
  return error instanceof APIError && isRetryableStatus(error.status, error.code);
}

function parseNotification(data: string): Notification {
  try {
    return JSON.parse(data) as Notification;
  } catch (error) {
    throw new ContactdError("A notification event's data is not JSON", { cause: error });
  }
}

/** Orders ids numerically when both are decimal, as the server's are (so "10" follows "9"); else as text. */
export function compareIds(a: string, b: string): number {
  const decimal = /^\d+$/;
  let x = a;
  let y = b;
  if (decimal.test(a) && decimal.test(b)) {
    x = a.replace(/^0+(?=\d)/, "");
    y = b.replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length - y.length;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}
