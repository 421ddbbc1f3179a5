import { protocol } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { bindExecuteSync } from "../src/store/pglite-bind.js";

/** The same three messages as pg-protocol's serializer writes them, one after another. */
function reference(name: string, values: (string | null)[]): Uint8Array {
  const parts = [
    protocol.serialize.bind({ statement: name, values }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ];
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

describe("bindExecuteSync", () => {
  it.each([
    ["no parameters", "s0", []],
    ["text, empty and NULL", "s12", ["1", "", null, "ada@example.com"]],
    ["characters beyond one byte", "s3", ["Sören", "Çağlar", "東京", "🙂 ok"]],
    ["a long value", "s127", ["x".repeat(70_000), null]],
  ] as [string, string, (string | null)[]][])("writes what pg-protocol writes: %s", (_, name, values) => {
    expect([...bindExecuteSync(name, values)]).toEqual([...reference(name, values)]);
  });
});
