export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Opens a Server-Sent Events stream with fetch and collects its events as they arrive: a plain
 * reader for tests, independent of the SDK's.
 */
export async function openSse(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  let ended = false;
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseFrame(frame);
          if (event) events.push(event);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      ended = true;
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    /** Notifications received so far, parsed. */
    notifications: () => events.filter((e) => e.event === "notification").map((e) => JSON.parse(e.data)),
    get ended() {
      return ended;
    },
    async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`stream: condition not met; got ${JSON.stringify(events)}`);
        if (ended) throw new Error(`stream ended; got ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close(): Promise<void> {
      abort.abort();
      await reading;
    },
  };
}

function parseFrame(frame: string): SseEvent | undefined {
  let id: string | undefined;
  let event = "message";
  const data: string[] = [];
  let fields = 0;
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    fields++;
    if (name === "id") id = value;
    else if (name === "event") event = value;
    else if (name === "data") data.push(value);
    else if (name !== "retry") fields--;
  }
  if (fields === 0 || (data.length === 0 && event === "message")) return undefined;
  return { id, event, data: data.join("\n") };
}
