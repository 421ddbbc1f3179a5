import { type Problem, toProblem } from "../../http/problem.js";

/**
 * The `error` object of the native error body for any error, as the error handler sends it; a
 * batch uses it to report each failed operation in the same shape as a single request would.
 */
export function nativeErrorObject(error: unknown, requestId: string): { problem: Problem; body: NativeError } {
  const problem = toProblem(error);
  return {
    problem,
    body: {
      type: problem.type,
      code: problem.code,
      message: problem.message,
      request_id: requestId,
      ...(problem.details ? { details: problem.details } : {}),
      ...(problem.field ? { field: problem.field } : {}),
      ...(problem.existingId !== undefined ? { existing_id: String(problem.existingId) } : {}),
      ...(problem.survivorId !== undefined ? { merged_into: String(problem.survivorId) } : {}),
    },
  };
}

export interface NativeError {
  type: string;
  code: string;
  message: string;
  request_id: string;
  details?: Problem["details"];
  field?: string;
  existing_id?: string;
  merged_into?: string;
}
