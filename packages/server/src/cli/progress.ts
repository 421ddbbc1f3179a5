import type { Writable } from "node:stream";

/** Where progress goes: standard error, a terminal or not. */
export type ProgressStream = Writable & { isTTY?: boolean; columns?: number };

const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 5000;
const BAR_WIDTH = 24;

/**
 * A live progress line: on a terminal one redrawn line with a bar, rows/s and the time left; when
 * not a terminal (a log, a pipe) a plain line every few seconds, so logs stay readable.
 */
export class Progress {
  readonly #started = performance.now();
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(
    private readonly what: string,
    private readonly out: ProgressStream,
    private readonly unit = "rows",
  ) {}

  /** `done` so far, of `total` when known. */
  update(done: number, total: number | null): void {
    const now = performance.now();
    if (now - this.#lastDraw < (this.out.isTTY ? REDRAW_MS : PLAIN_EVERY_MS)) return;
    this.#lastDraw = now;
    const line = this.line(done, total, (now - this.#started) / 1000);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
      this.#drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the live line and prints the summary. */
  finish(summary: string): void {
    if (this.#drawn) this.out.write("\r\x1b[2K");
    this.out.write(`${summary}\n`);
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  line(done: number, total: number | null, seconds: number): string {
    const rate = seconds > 0 ? done / seconds : 0;
    const parts = [this.what];
    if (total !== null && total > 0) {
      const share = Math.min(1, done / total);
      if (this.out.isTTY) parts.push(bar(share));
      parts.push(`${Math.floor(share * 100)}%`, `${count(done)}/${count(total)} ${this.unit}`);
    } else {
      parts.push(`${count(done)} ${this.unit}`);
    }
    parts.push(`${count(Math.round(rate))} ${this.unit}/s`);
    if (total !== null && total > done && rate > 0) parts.push(`ETA ${duration((total - done) / rate)}`);
    return parts.join("  ");
  }
}

function bar(share: number): string {
  const filled = Math.round(share * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** 75 → "1m 15s", 3725 → "1h 02m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
