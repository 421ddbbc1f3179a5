/**
 * An incremental parser for Server-Sent Events (the WHATWG `text/event-stream` format), fed text as
 * it arrives, so that one event may span several network chunks and one chunk may hold several.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field; "message" when the event named none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The `id:` field of this event, if it had one. */
  id: string | undefined;
}

const LF = 10;
const CR = 13;

export class SseParser {
  /** The last `retry:` the server sent, in milliseconds. */
  retry: number | undefined;
  #buffer = "";
  // A chunk that ends in CR may be followed by the LF of the same CRLF at the start of the next one.
  #afterCR = false;
  #event = "";
  #data: string[] = [];
  #id: string | undefined;

  /** Takes the next piece of decoded text and returns the events it completed. */
  push(text: string): SseEvent[] {
    if (text === "") return [];
    const input = this.#afterCR && text.charCodeAt(0) === LF ? text.slice(1) : text;
    this.#afterCR = false;
    const buffer = this.#buffer + input;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const code = buffer.charCodeAt(i);
      if (code !== LF && code !== CR) continue;
      const line = buffer.slice(start, i);
      if (code === CR) {
        if (i + 1 === buffer.length) this.#afterCR = true;
        else if (buffer.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    this.#buffer = buffer.slice(start);
    return events;
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") return this.#dispatch();
    // A comment, such as the server's keep-alive.
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        // The format ignores ids containing NUL; an empty id is ignored too, so a resume point is never lost.
        if (value !== "" && !value.includes("\0")) this.#id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const event =
      this.#data.length === 0
        ? undefined
        : { event: this.#event === "" ? "message" : this.#event, data: this.#data.join("\n"), id: this.#id };
    this.#event = "";
    this.#data = [];
    this.#id = undefined;
    return event;
  }
}
