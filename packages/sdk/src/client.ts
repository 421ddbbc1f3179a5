import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, ContactdError } from "./errors.js";
import { isRetryableStatus, retryDelay, sleep } from "./retry.js";
import type { ClientOptions, Fetch, RequestOptions } from "./types.js";

/** The transport under every resource: URL and auth header, timeout, retries, error mapping. */

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below `/v1`, starting with "/". */
  path: string;
  query?: Query;
  /** Sent as JSON; a FormData is sent as multipart/form-data (fetch writes its boundary). */
  body?: unknown;
  options?: RequestOptions | undefined;
  /** The Accept header, when not the usual one for how the answer is read. */
  accept?: string;
}

/** How a successful answer is read: parsed JSON, the raw bytes of a download, or a live event stream. */
type Expect = "json" | "bytes" | "stream";

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
// setTimeout fires at once for delays above this, so longer timeouts mean "no timer".
const MAX_TIMER_MS = 2_147_483_647;

const ACCEPT: Record<Expect, string> = { json: "application/json", bytes: "*/*", stream: "text/event-stream" };

interface Answer {
  response: Response;
  /** The body of JSON answers and of every failure. */
  text: string;
  /** The body of a successful download. */
  bytes?: ArrayBuffer;
}

export class APIClient {
  readonly baseUrl: string;
  readonly maxRetries: number;
  readonly timeout: number;
  private readonly fetch: Fetch;
  private readonly authorization: string;
  private readonly defaultHeaders: Record<string, string>;

  constructor(options: ClientOptions) {
    if (typeof options?.baseUrl !== "string" || !isAbsoluteUrl(options.baseUrl)) {
      throw new ContactdError("baseUrl must be an absolute URL such as http://127.0.0.1:3000");
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.authorization = authorizationOf(options);
    this.maxRetries = checkCount(options.maxRetries ?? DEFAULT_MAX_RETRIES, "maxRetries");
    this.timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT_MS);
    this.defaultHeaders = { ...options.defaultHeaders };
    const custom = options.fetch;
    if (custom === undefined && typeof globalThis.fetch !== "function") {
      throw new ContactdError("No global fetch here; pass one as the `fetch` option");
    }
    // Looked up per call (not bound once) so a polyfill installed later still applies, and called
    // on globalThis because browsers reject fetch invoked on another receiver.
    this.fetch = custom ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** Sends one logical request, retrying as allowed, and resolves to the parsed JSON body. */
  async request<T>(spec: RequestSpec): Promise<T> {
    return parseSuccess<T>(await this.send(spec, "json"));
  }

  /** Like `request`, for routes that answer with a file's bytes. */
  async requestBytes(spec: RequestSpec): Promise<ArrayBuffer> {
    const answer = await this.send(spec, "bytes");
    return answer.bytes ?? new ArrayBuffer(0);
  }

  /**
   * Opens a long-lived streaming response (Server-Sent Events) in one attempt and resolves once its
   * headers arrive; the body is the caller's to read. The timeout covers only the wait for the
   * headers, since a live stream is expected to stay open indefinitely. Nothing is retried here:
   * the stream decides when to reconnect, and from where. Aborting `options.signal` ends the
   * request, also while its body is being read.
   */
  async openStream(spec: RequestSpec): Promise<Response> {
    const options = spec.options ?? {};
    const timeout = checkTimeout(options.timeout ?? this.timeout);
    // The caller's signal stays attached for the life of the body: it is how a stream is closed.
    const deadline = new Deadline(timeout, options.signal);
    let response: Response;
    try {
      response = await this.fetch(this.urlOf(spec.path, spec.query), {
        method: spec.method,
        headers: this.headersOf(spec, undefined, "stream"),
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        signal: deadline.signal,
      });
      if (!response.ok) {
        const text = await response.text();
        throw APIError.from(response.status, parseError(text), response.headers, response.statusText);
      }
    } catch (error) {
      if (error instanceof APIError) throw error;
      throw deadline.failure(error);
    } finally {
      deadline.clearTimer();
    }
    return response;
  }

  private async send(spec: RequestSpec, expect: Expect): Promise<Answer> {
    const options = spec.options ?? {};
    const maxRetries = checkCount(options.maxRetries ?? this.maxRetries, "maxRetries");
    const timeout = checkTimeout(options.timeout ?? this.timeout);
    // One key per logical POST, reused by its retries, so a retry after a lost response replays
    // the first result instead of creating a second contact.
    const idempotencyKey = options.idempotencyKey ?? (spec.method === "POST" ? newIdempotencyKey() : undefined);
    const url = this.urlOf(spec.path, spec.query);
    // A FormData is serialised afresh by every fetch, so a retry re-sends the whole upload.
    const init: RequestInit = {
      method: spec.method,
      headers: this.headersOf(spec, idempotencyKey, expect),
      body: spec.body === undefined ? null : isFormData(spec.body) ? spec.body : JSON.stringify(spec.body),
    };

    for (let retry = 0; ; retry++) {
      const answer = await this.attempt(url, init, timeout, options.signal, expect);
      let failure: ContactdError;
      let retryAfter: string | null = null;
      if (answer instanceof ContactdError) {
        failure = answer;
      } else if (answer.response.ok) {
        return answer;
      } else {
        failure = APIError.from(
          answer.response.status,
          parseError(answer.text),
          answer.response.headers,
          answer.response.statusText,
        );
        retryAfter = answer.response.headers.get("retry-after");
      }
      const retryable =
        failure instanceof APIConnectionError ||
        (failure instanceof APIError && isRetryableStatus(failure.status, failure.code));
      if (!retryable || retry >= maxRetries) throw failure;
      try {
        await sleep(retryDelay(retry, retryAfter), options.signal);
      } catch (reason) {
        throw new APIUserAbortError(undefined, { cause: reason });
      }
    }
  }

  /** One HTTP exchange; a connection failure or timeout comes back as a value so it can be retried. */
  private async attempt(
    url: string,
    init: RequestInit,
    timeout: number,
    signal: AbortSignal | undefined,
    expect: Expect,
  ): Promise<Answer | APIConnectionError> {
    const deadline = new Deadline(timeout, signal);
    try {
      const response = await this.fetch(url, { ...init, signal: deadline.signal });
      // Read the body under the same timer: a server that sends headers and then stalls times out too.
      if (expect === "bytes" && response.ok) return { response, text: "", bytes: await response.arrayBuffer() };
      const text = await response.text();
      return { response, text };
    } catch (error) {
      const failure = deadline.failure(error);
      if (failure instanceof APIUserAbortError) throw failure;
      return failure;
    } finally {
      deadline.clearTimer();
      deadline.detach();
    }
  }

  private urlOf(path: string, query: Query | undefined): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
      else params.append(name, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}/v1${path}${search ? `?${search}` : ""}`;
  }

  private headersOf(spec: RequestSpec, idempotencyKey: string | undefined, expect: Expect): Headers {
    const headers = new Headers({ accept: spec.accept ?? ACCEPT[expect] });
    if (spec.body !== undefined && !isFormData(spec.body)) headers.set("content-type", "application/json");
    // The client's credentials win over its default headers; a request's own headers win over both.
    for (const [name, value] of Object.entries(this.defaultHeaders)) headers.set(name, value);
    headers.set("authorization", this.authorization);
    if (idempotencyKey !== undefined) headers.set("idempotency-key", idempotencyKey);
    for (const [name, value] of Object.entries(spec.options?.headers ?? {})) headers.set(name, value);
    return headers;
  }
}

/** A multipart body; false where the runtime has no FormData at all. */
export function isFormData(value: unknown): value is FormData {
  return typeof FormData !== "undefined" && value instanceof FormData;
}

function parseSuccess<T>(answer: Answer): T {
  if (answer.text === "") return undefined as T;
  try {
    return JSON.parse(answer.text) as T;
  } catch (error) {
    throw new ContactdError(`The ${answer.response.status} response body is not JSON`, { cause: error });
  }
}

/** Error bodies are JSON from contactd, but a proxy in between may answer with HTML or nothing. */
function parseError(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function authorizationOf(options: ClientOptions): string {
  if (typeof options.token === "string" && options.token !== "") return `Bearer ${options.token}`;
  if (typeof options.apiKey === "string" && typeof options.apiSecret === "string" && options.apiKey !== "") {
    return `Basic ${base64(`${options.apiKey}:${options.apiSecret}`)}`;
  }
  throw new ContactdError("Give either token, or apiKey and apiSecret");
}

/** btoa only takes Latin-1, so encode as UTF-8 first. */
function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function newIdempotencyKey(): string {
  // randomUUID is missing on plain-http browser pages; a key needs to be unique, not secret.
  const uuid =
    typeof globalThis.crypto?.randomUUID === "function"
      ? globalThis.crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return `sdk-${uuid}`;
}

function isAbsoluteUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function checkCount(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new ContactdError(`${name} must be a whole number ≥ 0`);
  return value;
}

function checkTimeout(value: number): number {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new ContactdError("timeout must be a positive number of milliseconds");
  }
  return value;
}

/** An error's message with its cause's, for wrapping errors from fetch (whose messages are terse). */
export function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}

/**
 * One request's abort signal: fires when `timeout` passes or the caller's `signal` aborts, and
 * tells afterwards which of the two (or neither: a network failure) ended the request.
 */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onAbort = () => this.controller.abort();

  constructor(
    private readonly timeout: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (callerSignal?.aborted) throw new APIUserAbortError(undefined, { cause: callerSignal.reason });
    this.timer =
      timeout <= MAX_TIMER_MS
        ? setTimeout(() => {
            this.timedOut = true;
            this.controller.abort();
          }, timeout)
        : undefined;
    callerSignal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The error for a failed fetch: aborted by the caller, timed out, or a connection error. */
  failure(error: unknown): APIUserAbortError | APIConnectionError {
    if (this.callerSignal?.aborted) return new APIUserAbortError(undefined, { cause: error });
    if (this.timedOut)
      return new APIConnectionTimeoutError(`Request timed out after ${this.timeout} ms`, { cause: error });
    return new APIConnectionError(`Connection error: ${describe(error)}`, { cause: error });
  }

  clearTimer(): void {
    clearTimeout(this.timer);
  }

  detach(): void {
    this.callerSignal?.removeEventListener("abort", this.onAbort);
  }
}
