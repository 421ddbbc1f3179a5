import { readFile, writeFile } from "node:fs/promises";
import type { Row } from "./scenario.js";
import { table } from "./table.js";

export const START = "<!-- bench:suite:start -->";
export const END = "<!-- bench:suite:end -->";

/** The results table, in Markdown. */
export function resultsTable(rows: Row[]): string {
  return table(
    [
      ["scenario", "measure", "contactd", "baseline", "ratio", "goal", "met?"],
      ...rows.map((row) => [
        row.scenario,
        row.measure,
        row.contactd,
        row.baseline,
        row.ratio === null ? "—" : `${row.ratio}×`,
        row.goal,
        row.met === null ? "—" : row.met ? "yes" : "**no**",
      ]),
    ],
    [4],
  );
}

/** Replaces what lies between the suite's markers in `file`, leaving the rest as it is. */
export async function writeBetweenMarkers(file: string, block: string): Promise<boolean> {
  const text = await readFile(file, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start === -1 || end === -1 || end < start) return false;
  await writeFile(file, `${text.slice(0, start + START.length)}\n${block.trim()}\n${text.slice(end)}`);
  return true;
}
