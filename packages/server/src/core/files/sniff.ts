/**
 * The content type of some bytes, judged from their first bytes only. A client's declared type is
 * never used: a browser trusting it could be made to run an uploaded page as HTML or script.
 */

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export const OCTET_STREAM = "application/octet-stream";
export const PLAIN_TEXT = "text/plain";

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  head.length >= offset + bytes.length && bytes.every((byte, i) => head[offset + i] === byte);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

const SIGNATURES: Array<[string, (head: Buffer) => boolean]> = [
  ["image/png", (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ["image/jpeg", (h) => startsWith(h, [0xff, 0xd8, 0xff])],
  ["image/gif", (h) => startsWith(h, ascii("GIF87a")) || startsWith(h, ascii("GIF89a"))],
  ["image/webp", (h) => startsWith(h, ascii("RIFF")) && startsWith(h, ascii("WEBPVP8"), 8)],
  ["application/pdf", (h) => startsWith(h, ascii("%PDF-"))],
  // Local file header, empty archive, spanned archive.
  [
    "application/zip",
    (h) =>
      [
        [3, 4],
        [5, 6],
        [7, 8],
      ].some(([a, b]) => startsWith(h, [0x50, 0x4b, a!, b!])),
  ],
  ["application/gzip", (h) => startsWith(h, [0x1f, 0x8b])],
];

/**
 * `head` is the first bytes of the content and `size` its whole length, so a UTF-8 character cut
 * off at the end of the head still counts as text.
 */
export function sniffContentType(head: Buffer, size: number): string {
  for (const [type, matches] of SIGNATURES) if (matches(head)) return type;
  return looksLikeText(head, size > head.length) ? PLAIN_TEXT : OCTET_STREAM;
}

export function sniffImageType(head: Buffer): ImageType | null {
  const type = sniffContentType(head, head.length);
  return (IMAGE_TYPES as readonly string[]).includes(type) ? (type as ImageType) : null;
}

// C0 controls other than tab, newlines, form feed and escape never appear in text files.
const BINARY_CONTROL = /[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/;

function looksLikeText(head: Buffer, truncated: boolean): boolean {
  if (head.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: truncated });
  } catch {
    return false;
  }
  return !BINARY_CONTROL.test(text);
}
