import type { Position } from "../../store/contacts.js";
import { BadRequestError } from "../errors.js";
import { type Direction, SORT_KEYS, type SortKey } from "./contact.js";

/** What an opaque list cursor carries: the ordering it belongs to and the last row seen. */
export interface Cursor {
  sort: SortKey;
  direction: Direction;
  position: Position;
}

export function encodeCursor(cursor: Cursor): string {
  const payload = [cursor.sort, cursor.direction, cursor.position.value, cursor.position.id];
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

export function decodeCursor(text: string): Cursor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(payload) || payload.length !== 4) throw invalid();
  const [sort, direction, value, id] = payload as unknown[];
  const valid =
    SORT_KEYS.includes(sort as SortKey) &&
    (direction === "asc" || direction === "desc") &&
    (value === null || (typeof value === "string" && value.length <= 1024)) &&
    Number.isSafeInteger(id);
  if (!valid) throw invalid();
  return {
    sort: sort as SortKey,
    direction: direction as Direction,
    position: { value: value as string | null, id: id as number },
  };
}

function invalid(): BadRequestError {
  return new BadRequestError("invalid_cursor", "The cursor is not one this server issued");
}
