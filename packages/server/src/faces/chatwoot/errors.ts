import type { FastifyReply, FastifyRequest } from "fastify";
import { FilterError } from "../../core/contacts/filter-error.js";
import type { FieldError } from "../../core/errors.js";
import { toProblem } from "../../http/problem.js";

/** An answer in Chatwoot's own words, for cases its controllers word themselves. */
export class ChatwootError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string },
  ) {
    super(body.error);
  }
}

export const NOT_FOUND = { error: "Resource could not be found" };
export const INVALID_TOKEN = { error: "Invalid Access Token" };
export const NOT_MEMBER = { error: "You are not authorized to access this account" };
const NOT_ALLOWED = { error: "You are not authorized to do this action" };

/**
 * Chatwoot's error bodies: `{error}` for most, `{message, attributes}` (Rails' record errors) for
 * invalid or clashing fields. A role denial is 401 and a merged-away contact 404, as these
 * clients know them.
 */
export function chatwootError(error: unknown): { status: number; body: object } {
  if (error instanceof ChatwootError) return { status: error.status, body: error.body };
  if (error instanceof FilterError) return { status: 422, body: { error: error.message } };
  const problem = toProblem(error);
  switch (problem.status) {
    case 401:
      return { status: 401, body: INVALID_TOKEN };
    case 403:
      return { status: 401, body: NOT_ALLOWED };
    case 404:
    case 410:
      return { status: 404, body: NOT_FOUND };
    case 409:
      return recordErrors([{ field: problem.field ?? "base", code: "taken", message: problem.message }]);
    case 422:
      return recordErrors(problem.details ?? [{ field: "base", code: "invalid", message: problem.message }]);
    default:
      return { status: problem.status, body: { error: problem.message } };
  }
}

export function sendChatwootError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = chatwootError(error);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  return reply.code(status).send(body);
}

/** `{"message":"Email has already been taken, Phone number should be in e164 format","attributes":["email","phone_number"]}`. */
function recordErrors(fields: FieldError[]): { status: number; body: object } {
  const attributes = [...new Set(fields.map((f) => attributeOf(f.field)))];
  const message = fields.map((f) => `${humanize(attributeOf(f.field))} ${wording(f)}`).join(", ");
  return { status: 422, body: { message, attributes } };
}

/** The record attribute a field path belongs to: labels[2] → labels, custom_attributes.x → custom_attributes. */
function attributeOf(field: string): string {
  const name = field.split(/[.[]/)[0] || "base";
  return FIELD_NAMES[name] ?? name;
}

/** Core names that Chatwoot's records call otherwise. */
const FIELD_NAMES: Record<string, string> = { text: "content" };

/** Rails' humanize: phone_number → Phone number, inbox_id → Inbox. */
function humanize(attribute: string): string {
  const words = attribute.replace(/_id$/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Chatwoot's texts for the errors its clients know; the core's own words otherwise. */
function wording(field: FieldError): string {
  switch (field.code) {
    case "taken":
      return "has already been taken";
    case "required":
      return "can't be blank";
    case "too_long": {
      const maximum = /at most (\d+)/.exec(field.message)?.[1];
      return maximum ? `is too long (maximum is ${maximum} characters)` : field.message;
    }
    case "invalid_email":
      return "Invalid email";
    case "invalid_phone_number":
    case "missing_country_code":
      return "should be in e164 format";
    default:
      return field.message;
  }
}
