/**
 * A `text[]` parser with a fast path for the shape every label list has, `{vip,lead}`: no element
 * quoted, so none holds a comma, quote, backslash, brace or white space, none is empty and none is
 * NULL. Any other value goes to the driver's own parser (`general`).
 *
 * Every contact read carries its label names as one. The driver's parser walks the text character
 * by character through a general state machine and allocates as it goes: about 700 bytes for a
 * contact, about a thirteenth of what a 16-contact search allocated in all.
 */
export function textArrayParser(general: (text: string) => unknown): (text: string) => unknown {
  return (text) => plainTextArray(text) ?? general(text);
}

const OPEN = 0x7b;
const CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The elements of a one-dimensional array of unquoted elements, none NULL; else null. */
export function plainTextArray(text: string): string[] | null {
  const last = text.length - 1;
  if (last < 1 || text.charCodeAt(0) !== OPEN || text.charCodeAt(last) !== CLOSE) return null;
  if (last === 1) return [];
  for (let at = 1; at < last; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE || code === BACKSLASH || code === OPEN || code === CLOSE) return null;
  }
  const elements = text.slice(1, last).split(",");
  // PostgreSQL writes a null element as bare NULL, and quotes a text that reads NULL.
  return elements.includes("NULL") ? null : elements;
}
