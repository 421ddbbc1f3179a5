import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import type { Contact, ContactInput } from "./contact.js";
import { createContact } from "./create.js";
import { deleteContact } from "./delete.js";
import { missingContact } from "./survivor.js";
import { updateContact } from "./update.js";
import { upsertContact } from "./upsert.js";

/** Most operations one batch may hold. */
export const MAX_BATCH_OPERATIONS = 100;

export const BATCH_OPS = ["create", "update", "upsert", "delete"] as const;
export type BatchOp = (typeof BATCH_OPS)[number];

export interface BatchOperation {
  op: BatchOp;
  /** The contact an update or delete is about. */
  id?: number;
  input?: ContactInput;
}

/**
 * What became of one operation. A failure carries the error it ended in (usually a DomainError)
 * for the face to render exactly as it would render that error for a single request.
 */
export type BatchOutcome =
  | { op: BatchOp; result: "created" | "updated"; contact: Contact }
  | { op: BatchOp; result: "deleted"; id: number }
  | { op: BatchOp; result: "failed"; id?: number; error: unknown };

/**
 * Runs the operations one after another, in order, each in its own transaction through the same
 * core calls as the single requests (so the same validation, permissions and history): a failed
 * operation changes nothing and does not stop the others. A malformed batch runs nothing.
 */
export async function runContactBatch(
  deps: CoreDeps,
  actor: Actor,
  operations: BatchOperation[],
): Promise<BatchOutcome[]> {
  checkOperations(operations);
  const outcomes: BatchOutcome[] = [];
  for (const operation of operations) outcomes.push(await runOperation(deps, actor, operation));
  return outcomes;
}

function checkOperations(operations: BatchOperation[]): void {
  const errors = new FieldErrors();
  if (operations.length > MAX_BATCH_OPERATIONS) {
    errors.add("operations", "too_many", `must hold at most ${MAX_BATCH_OPERATIONS} operations`);
  }
  operations.forEach((operation, index) => {
    const at = `operations[${index}]`;
    const needsId = operation.op === "update" || operation.op === "delete";
    if (needsId && operation.id === undefined) errors.add(`${at}.id`, "required", `is required for ${operation.op}`);
    if (!needsId && operation.id !== undefined) {
      errors.add(`${at}.id`, "not_allowed", `is not taken by ${operation.op}: it matches or creates by data`);
    }
    if (operation.op === "delete" && operation.input !== undefined) {
      errors.add(`${at}.data`, "not_allowed", "is not taken by delete");
    }
  });
  errors.throwIfAny();
}

async function runOperation(deps: CoreDeps, actor: Actor, operation: BatchOperation): Promise<BatchOutcome> {
  const { op, id, input = {} } = operation;
  try {
    switch (op) {
      case "create":
        return { op, result: "created", contact: await createContact(deps, actor, input) };
      case "update":
        return { op, result: "updated", contact: await updateContact(deps, actor, id as number, input) };
      case "upsert": {
        const { contact, created } = await upsertContact(deps, actor, input);
        return { op, result: created ? "created" : "updated", contact };
      }
      case "delete":
        await deleteContact(deps, actor, id as number);
        return { op, result: "deleted", id: id as number };
    }
  } catch (error) {
    // Whatever the error, the operations after this one still run: their results are owed too.
    return { op, result: "failed", id, error: await explained(deps, actor, error, id) };
  }
}

/** A merged-away id is reported as such (410 naming the survivor), as on the single routes. */
async function explained(deps: CoreDeps, actor: Actor, error: unknown, id: number | undefined): Promise<unknown> {
  const unknownContact = error instanceof NotFoundError && error.code === "contact_not_found";
  return unknownContact && id !== undefined ? missingContact(deps, actor, id) : error;
}
