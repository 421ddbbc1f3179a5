/**
 * A file name safe to store and to offer back in Content-Disposition: the last path segment
 * only, without control or bidirectional-override characters (which can disguise an extension),
 * characters Windows refuses, or leading dots; at most 255 characters. Storage never uses the
 * name, so this is about what people and their machines see, not about where bytes go.
 */

export const MAX_FILE_NAME = 255;
const FALLBACK = "file";

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const WINDOWS_RESERVED = /[<>:"|?*]/g;

export function sanitizeFileName(raw: string | undefined | null): string {
  const lastSegment = (raw ?? "").normalize("NFC").split(/[/\\]/).pop() ?? "";
  const cleaned = lastSegment
    .replace(CONTROL, "")
    .replace(WINDOWS_RESERVED, "_")
    .trim()
    .replace(/^\.+/, "")
    .replace(/[. ]+$/, "")
    .trim();
  return truncate(cleaned) || FALLBACK;
}

/** Cuts by characters (not UTF-16 units), keeping a short extension. */
function truncate(name: string): string {
  const chars = [...name];
  if (chars.length <= MAX_FILE_NAME) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? [...name.slice(dot)] : [];
  if (extension.length > 0 && extension.length <= 16) {
    return chars.slice(0, MAX_FILE_NAME - extension.length).join("") + extension.join("");
  }
  return chars.slice(0, MAX_FILE_NAME).join("");
}
