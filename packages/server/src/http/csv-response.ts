import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

/**
 * Sends CSV as a download that is never cached by shared caches or sniffed into something else.
 * An iterable is pulled only as fast as the socket drains (Readable.from with pipe's
 * backpressure), one chunk ahead (an export's chunk is a whole batch, and the default of sixteen
 * held sixteen of them for a slow client), and a client that goes away ends it, so nothing more
 * is read.
 */
export function sendCsv(
  reply: FastifyReply,
  fileName: string,
  body: Readable | AsyncIterable<string | Uint8Array>,
  byteSize?: number,
) {
  if (byteSize !== undefined) reply.header("content-length", String(byteSize));
  return reply
    .header("content-type", "text/csv; charset=utf-8")
    .header("content-disposition", `attachment; filename="${fileName}"`)
    .header("cache-control", "private, no-store")
    .header("x-content-type-options", "nosniff")
    .send(body instanceof Readable ? body : Readable.from(body, { highWaterMark: 1 }));
}

/** `contacts-2026-11-22.csv`: the UTC date the export was taken. */
export function contactsCsvName(now: Date): string {
  return `contacts-${now.toISOString().slice(0, 10)}.csv`;
}
