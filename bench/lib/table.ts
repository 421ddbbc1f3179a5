/** A Markdown table with padded columns, as the docs format them; `right` lists the columns aligned right. */
export function table(rows: string[][], right: number[] = []): string {
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(3, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const cell = (text: string, column: number) =>
    right.includes(column) ? text.padStart(widths[column] ?? 0) : text.padEnd(widths[column] ?? 0);
  const line = (row: string[]) => `| ${row.map(cell).join(" | ")} |`;
  const rule = widths.map((w, column) => (right.includes(column) ? `${"-".repeat(w - 1)}:` : "-".repeat(w)));
  return [line(rows[0] as string[]), `| ${rule.join(" | ")} |`, ...rows.slice(1).map(line)].join("\n");
}
