import { Type } from "typebox";

/** A string from a fixed set, as one JSON Schema `enum` (one clear error instead of one per literal). */
export const StringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: "string", enum: [...values], description });
