import pino, { type DestinationStream } from "pino";

/** Lines are handed on in blocks of about this many characters. */
const BLOCK_CHARS = 16_384;

export interface LogDestination extends DestinationStream {
  /** Writes out every line received so far before returning (for exit). */
  flushSync(): void;
}

/**
 * Where the process's log lines go: asynchronously to `fd`, gathered into blocks, at least every
 * `flushMs`. Each request writes an access line, and sonic-boom (pino's writer) measures the UTF-8
 * length of the block it is filling on every write: line by line, that rescans up to 16 KB per
 * request. Given whole blocks, it measures once per block; writing a line here is an array push.
 */
export function logDestination(fd: number, flushMs: number): LogDestination {
  const writer = pino.destination({ dest: fd, sync: false });
  let lines: string[] = [];
  let chars = 0;
  const handOn = () => {
    if (lines.length === 0) return;
    writer.write(lines.join(""));
    lines = [];
    chars = 0;
  };
  setInterval(handOn, flushMs).unref();
  return {
    write(line: string) {
      lines.push(line);
      chars += line.length;
      if (chars >= BLOCK_CHARS) handOn();
    },
    flushSync() {
      handOn();
      writer.flushSync();
    },
  };
}
