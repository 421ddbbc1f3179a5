import { ContactdError } from "../errors.js";
import type { ID } from "../types.js";

/** An id as one escaped path segment; an empty id would silently address a different route. */
export function idPath(id: ID): string {
  const text = String(id);
  if ((typeof id !== "string" && typeof id !== "number") || text.trim() === "") {
    throw new ContactdError(`Expected a non-empty id, got ${JSON.stringify(id)}`);
  }
  return encodeURIComponent(text);
}
