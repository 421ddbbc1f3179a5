import { ForbiddenError } from "./errors.js";
import type { IdempotencyScope } from "./idempotency/scope.js";

export type Role = "administrator" | "agent";
export const ROLES: readonly Role[] = ["administrator", "agent"];

/** Who is acting: every core call is scoped to the actor's account. */
export interface Actor {
  accountId: number;
  userId: number;
  role: Role;
  credentialId: number;
  /** The Idempotency-Key of the request acted for, if it sent one: its writes mark the key applied. */
  idempotency?: IdempotencyScope;
}

export function requireAdministrator(actor: Actor): void {
  if (actor.role !== "administrator") throw new ForbiddenError("Only administrators may do this");
}
