import type { Quota } from "./limits/rate-limiter.js";

/** Errors the core raises; each face turns them into its own status codes and bodies. */

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind:
    | "validation"
    | "not_found"
    | "gone"
    | "conflict"
    | "forbidden"
    | "unauthenticated"
    | "precondition_failed"
    | "rate_limited"
    | "bad_request"
    | "too_large"
    | "unsupported_media_type";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ValidationError extends DomainError {
  readonly kind = "validation";
  constructor(readonly fields: FieldError[]) {
    super("invalid_fields", fields.map((f) => `${f.field}: ${f.message}`).join("; "));
  }
}

export class BadRequestError extends DomainError {
  readonly kind = "bad_request";
}

export class NotFoundError extends DomainError {
  readonly kind = "not_found";
  constructor(resource: string) {
    super(`${resource}_not_found`, `No such ${resource.replace(/_/g, " ")}`);
  }
}

/** A contact merged into another: it lives on as `survivorId`. */
export class ContactMergedError extends DomainError {
  readonly kind = "gone";
  constructor(readonly survivorId: number) {
    super("contact_merged", `This contact was merged into contact ${survivorId}`);
  }
}

/** A uniqueness clash: names the field and the record that already holds the value. */
export class ConflictError extends DomainError {
  readonly kind = "conflict";
  constructor(
    code: string,
    message: string,
    readonly field?: string,
    readonly existingId?: number,
  ) {
    super(code, message);
  }
}

/** A conditional write whose condition (the version the caller last saw) no longer holds. */
export class PreconditionFailedError extends DomainError {
  readonly kind = "precondition_failed";
  constructor(message: string) {
    super("precondition_failed", message);
  }
}

/** Too many requests from one credential in the current window, which ends in `quota.resetSeconds`. */
export class RateLimitedError extends DomainError {
  readonly kind = "rate_limited";
  constructor(readonly quota: Quota) {
    super(
      "rate_limited",
      `This credential made more than ${quota.limit} requests this minute: retry in ${quota.resetSeconds} s`,
    );
  }
}

export class ForbiddenError extends DomainError {
  readonly kind = "forbidden";
  constructor(message = "Your role may not do this") {
    super("forbidden", message);
  }
}

export class AuthenticationError extends DomainError {
  readonly kind = "unauthenticated";
  constructor(message = "Missing or invalid credentials") {
    super("unauthenticated", message);
  }
}

/** An upload past its size limit. */
export class TooLargeError extends DomainError {
  readonly kind = "too_large";
  constructor(
    readonly field: string,
    readonly maxBytes: number,
  ) {
    super("payload_too_large", `${field}: must be at most ${maxBytes} bytes`);
  }
}

/** Content of a kind this operation does not take (judged from the bytes, not from a header). */
export class UnsupportedMediaTypeError extends DomainError {
  readonly kind = "unsupported_media_type";
  constructor(
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

/** Collects field errors so a request reports every bad field at once. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, code: string, message: string): void {
    this.list.push({ field, code, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
