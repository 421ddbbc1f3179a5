/**
 * The growth chart for docs/benchmarks.md, as plain SVG: p99 latency of search and list against the
 * dataset's size, on a log-scale x axis, one line per endpoint and database.
 */
export interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<{ size: number; p99: number }>;
}

const W = 720;
const H = 400;
const M = { left: 64, right: 180, top: 44, bottom: 56 };

const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

/** A round step giving about five ticks up to `max`. */
function step(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((f) => f * power >= raw) ?? 10) * power;
}

export function growthChart(series: Series[], title: string): string {
  const points = series.flatMap((s) => s.points);
  const sizes = [...new Set(points.map((p) => p.size))].sort((a, b) => a - b);
  const minX = Math.log10((sizes[0] ?? 10_000) / 1.5);
  const maxX = Math.log10((sizes.at(-1) ?? 1_000_000) * 1.5);
  const yStep = step(Math.max(1, ...points.map((p) => p.p99)) * 1.1);
  const maxY = Math.ceil((Math.max(1, ...points.map((p) => p.p99)) * 1.1) / yStep) * yStep;
  const x = (size: number) => M.left + ((Math.log10(size) - minX) / (maxX - minX)) * (W - M.left - M.right);
  const y = (ms: number) => H - M.bottom - (ms / maxY) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="title">`,
    `<title id="title">${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= maxY + 1e-9; v += yStep) {
    const label = Number.isInteger(v) ? String(v) : v.toFixed(1);
    out.push(
      `<line x1="${M.left}" y1="${y(v)}" x2="${W - M.right}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#555">${label}</text>`,
    );
  }
  for (const size of sizes) {
    out.push(
      `<line x1="${x(size)}" y1="${M.top}" x2="${x(size)}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`,
      `<text x="${x(size)}" y="${H - M.bottom + 18}" text-anchor="middle" fill="#555">${sizeLabel(size)}</text>`,
    );
  }
  out.push(
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">contacts in the database (log scale)</text>`,
    `<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">p99 latency (ms)</text>`,
  );
  series.forEach((s, i) => {
    const sorted = [...s.points].sort((a, b) => a.size - b.size);
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${sorted.map((p) => `${x(p.size).toFixed(1)},${y(p.p99).toFixed(1)}`).join(" ")}"/>`,
    );
    for (const p of sorted) {
      out.push(
        `<circle cx="${x(p.size).toFixed(1)}" cy="${y(p.p99).toFixed(1)}" r="3.5" fill="${s.color}"/>`,
        `<text x="${(x(p.size) + 6).toFixed(1)}" y="${(y(p.p99) - 6).toFixed(1)}" fill="${s.color}" font-size="11">${p.p99 < 10 ? p.p99.toFixed(1) : Math.round(p.p99)}</text>`,
      );
    }
    const ly = M.top + 10 + i * 22;
    out.push(
      `<line x1="${W - M.right + 16}" y1="${ly}" x2="${W - M.right + 44}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${W - M.right + 50}" y="${ly + 4}">${esc(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
