import type { FastifyError } from "fastify";
import { DomainError, type FieldError } from "../core/errors.js";

/** Any error a request can end in, classified once; each face renders it in its own shape. */
export interface Problem {
  status: number;
  type: string;
  code: string;
  message: string;
  details?: FieldError[];
  field?: string;
  existingId?: number;
  /** For a merged-away contact: the contact it was merged into. */
  survivorId?: number;
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const DOMAIN_STATUS = {
  validation: [422, "invalid_request_error"],
  bad_request: [400, "invalid_request_error"],
  not_found: [404, "not_found_error"],
  gone: [410, "not_found_error"],
  conflict: [409, "conflict_error"],
  forbidden: [403, "permission_error"],
  unauthenticated: [401, "authentication_error"],
  precondition_failed: [412, "conflict_error"],
  rate_limited: [429, "rate_limit_error"],
  too_large: [413, "invalid_request_error"],
  unsupported_media_type: [415, "invalid_request_error"],
} as const;

export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    const [status, type] = DOMAIN_STATUS[error.kind];
    const problem: Problem = { status, type, code: error.code, message: error.message };
    if ("fields" in error) problem.details = error.fields as FieldError[];
    if ("field" in error && error.field) problem.field = error.field as string;
    if ("existingId" in error && error.existingId !== undefined) problem.existingId = error.existingId as number;
    if ("survivorId" in error) problem.survivorId = error.survivorId as number;
    return problem;
  }
  const fastifyError = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fastifyError.validation) return validationProblem(fastifyError.validation, fastifyError.validationContext);
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return clientProblem(fastifyError, status);
  // PostgreSQL's query_canceled, as the statement timeout raises it: overloaded, not broken.
  if (fastifyError.code === "57014") {
    return { status: 503, type: "api_error", code: "timeout", message: "The request took too long: retry later" };
  }
  // A deadlock or serialization failure: the transaction was rolled back whole, so a retry is safe.
  if (fastifyError.code === "40P01" || fastifyError.code === "40001") {
    return {
      status: 409,
      type: "conflict_error",
      code: "concurrent_change",
      message: "Another request changed the same records at the same moment; nothing was changed: retry",
    };
  }
  return { status: 500, type: "api_error", code: "internal_error", message: "Something went wrong on our side" };
}

function clientProblem(error: FastifyError, status: number): Problem {
  switch (status) {
    case 413:
      return {
        status,
        type: "invalid_request_error",
        code: "payload_too_large",
        message: "The request body is too large",
      };
    case 415:
      return {
        status,
        type: "invalid_request_error",
        code: "unsupported_media_type",
        message: "Send JSON with Content-Type: application/json",
      };
    default: {
      const code = typeof error.code === "string" && /^[a-z_]+$/.test(error.code) ? error.code : "bad_request";
      return { status, type: "invalid_request_error", code, message: error.message };
    }
  }
}

function validationProblem(issues: AjvIssue[], context: string | undefined): Problem {
  const details = mergeTypeIssues(issues).map((issue) => fieldError(issue, context));
  return {
    status: 422,
    type: "invalid_request_error",
    code: "invalid_fields",
    message: details.map((d) => `${d.field}: ${d.message}`).join("; "),
    details,
  };
}

/** "must be string" + "must be null" + "must match a schema in anyOf" → "must be string or null". */
function mergeTypeIssues(issues: AjvIssue[]): AjvIssue[] {
  const types = new Map<string, string[]>();
  for (const issue of issues) {
    if (issue.keyword === "type")
      types.set(issue.instancePath, [...(types.get(issue.instancePath) ?? []), String(issue.params.type)]);
  }
  const merged: AjvIssue[] = [];
  for (const issue of issues) {
    const pathTypes = types.get(issue.instancePath);
    if (pathTypes && (issue.keyword === "type" || issue.keyword === "anyOf")) {
      if (merged.some((m) => m.keyword === "type" && m.instancePath === issue.instancePath)) continue;
      merged.push({ ...issue, keyword: "type", params: { type: pathTypes.join(" or ") } });
    } else {
      merged.push(issue);
    }
  }
  return merged;
}

function fieldError(issue: AjvIssue, context: string | undefined): FieldError {
  const path = issue.instancePath
    .split("/")
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("")
    .replace(/^\./, "");
  const child = (name: unknown) => (path ? `${path}.${String(name)}` : String(name));
  const whole = context === "body" ? "body" : (context ?? "request");
  switch (issue.keyword) {
    case "required":
      return { field: child(issue.params.missingProperty), code: "required", message: "is required" };
    case "additionalProperties":
      return { field: child(issue.params.additionalProperty), code: "unknown_field", message: "is not a known field" };
    case "enum":
      return {
        field: path || whole,
        code: "invalid_value",
        message: `must be one of ${(issue.params.allowedValues as unknown[]).join(", ")}`,
      };
    case "type":
      return { field: path || whole, code: "invalid_type", message: `must be ${String(issue.params.type)}` };
    default:
      return { field: path || whole, code: `invalid_${issue.keyword}`, message: issue.message ?? "is invalid" };
  }
}
