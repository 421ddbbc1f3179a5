import type { ErrorBody, FieldError } from "./types.js";

/**
 * Every error the SDK throws. Each class sets its own `name` so that code can still tell errors
 * apart by name when the ESM and CJS builds are both loaded (where `instanceof` fails across them).
 */
export class ContactdError extends Error {
  override name: string = "ContactdError";
}

/** The server answered with a 4xx or 5xx status. */
export class APIError extends ContactdError {
  override name: string = "APIError";
  readonly status: number;
  /** Broad class, e.g. "invalid_request_error"; undefined when the body was not the API's error shape. */
  readonly type: string | undefined;
  /** Machine-readable reason, e.g. "email_taken". */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  /** Per-field problems of a 422. */
  readonly details: FieldError[] | undefined;
  /** The field a 409 clashed on. */
  readonly field: string | undefined;
  /** On a 409: the id of the contact already holding the email, phone number or identifier. */
  readonly existingId: string | undefined;
  /** On a 410 for a merged-away contact: the id of the contact it was merged into. */
  readonly mergedInto: string | undefined;
  readonly headers: Headers;
  /** The parsed JSON body, or its text when it was not JSON. */
  readonly body: unknown;

  constructor(status: number, body: unknown, headers: Headers, statusText = "") {
    const error = errorEnvelope(body);
    super(error?.message ?? (statusText || `Request failed with status ${status}`));
    this.status = status;
    this.type = error?.type;
    this.code = error?.code;
    this.requestId = error?.request_id ?? headers.get("x-request-id") ?? undefined;
    this.details = error?.details;
    this.field = error?.field;
    this.existingId = error?.existing_id;
    this.mergedInto = error?.merged_into;
    this.headers = headers;
    this.body = body;
  }

  /** The subclass matching the status. */
  static from(status: number, body: unknown, headers: Headers, statusText = ""): APIError {
    const Class = errorClassFor(status);
    return new Class(status, body, headers, statusText);
  }
}

export class BadRequestError extends APIError {
  override name: string = "BadRequestError";
}
export class AuthenticationError extends APIError {
  override name: string = "AuthenticationError";
}
export class PermissionDeniedError extends APIError {
  override name: string = "PermissionDeniedError";
}
export class NotFoundError extends APIError {
  override name: string = "NotFoundError";
}
export class ConflictError extends APIError {
  override name: string = "ConflictError";
}
/** The record is gone for good; for a merged-away contact, `mergedInto` names the survivor. */
export class GoneError extends APIError {
  override name: string = "GoneError";
}
export class UnprocessableEntityError extends APIError {
  override name: string = "UnprocessableEntityError";
}
export class RateLimitError extends APIError {
  override name: string = "RateLimitError";
}
export class InternalServerError extends APIError {
  override name: string = "InternalServerError";
}

/** No HTTP answer at all: refused connection, DNS failure, reset, ... */
export class APIConnectionError extends ContactdError {
  override name: string = "APIConnectionError";
  constructor(message = "Connection error", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An attempt took longer than the timeout. */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name: string = "APIConnectionTimeoutError";
  constructor(message = "Request timed out", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The caller's AbortSignal fired. */
export class APIUserAbortError extends ContactdError {
  override name: string = "APIUserAbortError";
  constructor(message = "Request was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A webhook request that is not provably from contactd (missing headers, no matching signature),
 * or whose timestamp is too far from now; receivers answer it with a 400.
 */
export class WebhookVerificationError extends ContactdError {
  override name: string = "WebhookVerificationError";
}

function errorClassFor(status: number): typeof APIError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 410:
      return GoneError;
    case 422:
      return UnprocessableEntityError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? InternalServerError : APIError;
  }
}

/** The `error` object of a body, when the body has the API's error shape. */
function errorEnvelope(body: unknown): Partial<ErrorBody["error"]> | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    type: text(e.type),
    code: text(e.code),
    message: text(e.message),
    request_id: text(e.request_id),
    details: Array.isArray(e.details) ? (e.details as FieldError[]) : undefined,
    field: text(e.field),
    existing_id: text(e.existing_id),
    merged_into: text(e.merged_into),
  };
}
