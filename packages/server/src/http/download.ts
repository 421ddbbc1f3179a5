import type { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

/**
 * Sends stored bytes as a download: the stored content type, never sniffed or run by a browser
 * (an uploaded HTML file must not become a page on this origin).
 */
export function sendAttachment(
  reply: FastifyReply,
  file: { contentType: string; size: number; name: string },
  stream: Readable,
) {
  return reply
    .header("content-type", file.contentType)
    .header("content-length", String(file.size))
    .header("content-disposition", attachment(file.name))
    .header("x-content-type-options", "nosniff")
    .header("content-security-policy", "default-src 'none'; sandbox")
    .header("cache-control", "private, no-cache")
    .send(stream);
}

/** Content-Disposition with an ASCII fallback and the exact name in RFC 8187 encoding. */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
