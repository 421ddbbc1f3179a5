import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  APIConnectionTimeoutError,
  APIUserAbortError,
  AuthenticationError,
  Contactd,
  ContactdError,
  NotFoundError,
  type Notification,
  type NotificationStreamOptions,
} from "../src/index.js";
import { compareIds } from "../src/resources/notification-stream.js";
import { type SseEvent, SseParser } from "../src/sse.js";
import { within } from "./helpers.js";

/**
 * The notification stream's transport over real sockets: a small HTTP server on 127.0.0.1 writes
 * the frames each test needs, including the awkward ones (split frames, dropped connections, 5xx)
 * that the real server cannot be made to produce on cue. notifications.test.ts covers the real server.
 */

interface Connection {
  index: number;
  headers: IncomingHttpHeaders;
  url: string;
  response: ServerResponse;
  /** Resolves when the client's request is gone (its socket closed). */
  closed: Promise<void>;
}

interface SseServer {
  url: string;
  connections: Connection[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function sseServer(handler: (connection: Connection) => void): Promise<SseServer> {
  const connections: Connection[] = [];
  const server = createServer((request, response) => {
    const closed = new Promise<void>((resolve) => response.on("close", () => resolve()));
    const connection = {
      index: connections.length,
      headers: request.headers,
      url: request.url ?? "",
      response,
      closed,
    };
    connections.push(connection);
    handler(connection);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections };
}

function streamFrom(server: SseServer, options: NotificationStreamOptions = {}, timeout?: number) {
  const client = new Contactd({ baseUrl: server.url, token: "key.secret", ...(timeout ? { timeout } : {}) });
  return client.notifications.stream(options);
}

const EVENT_STREAM = { "content-type": "text/event-stream; charset=utf-8" };

function notification(id: number): Notification {
  return {
    object_name: "notification",
    id: String(id),
    type: "mention",
    event_id: String(100 + id),
    actor: { id: "1", name: "Ada" },
    contact_id: "5",
    conversation_id: null,
    data: { comment_id: String(id) },
    read: false,
    created_at: "2030-01-01T00:00:00.000Z",
  };
}

function frame(id: number): string {
  return `id: ${id}\nevent: notification\ndata: ${JSON.stringify(notification(id))}\n\n`;
}

function open(response: ServerResponse, retryMs = 20): void {
  response.writeHead(200, EVENT_STREAM);
  response.write(`retry: ${retryMs}\n\nevent: ready\ndata: {}\n\n`);
}

async function take(iterator: AsyncIterator<Notification>, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const result = await within(iterator.next());
    if (result.done) break;
    ids.push(result.value.id);
  }
  return ids;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected a failure");
}

describe("SseParser", () => {
  const text =
    ": hello\r\nretry: 1500\r\n\r\nevent: ready\r\ndata: {}\r\n\r\n" +
    'id: 7\revent: notification\rdata: {"a":\rdata: 1}\r\r' +
    ": keep-alive\n\nid: 8\nevent: notification\ndata:x\n\n" +
    "data\n\nevent: no-data\n\nevent: unfinished\ndata: lost";
  const expected: SseEvent[] = [
    { event: "ready", data: "{}", id: undefined },
    { event: "notification", data: '{"a":\n1}', id: "7" },
    { event: "notification", data: "x", id: "8" },
    { event: "message", data: "", id: undefined },
  ];

  it("reads CRLF, CR and LF line ends, comments, multi-line data and bare fields; drops an unfinished event", () => {
    const parser = new SseParser();
    expect(parser.push(text)).toEqual(expected);
    expect(parser.retry).toBe(1500);
  });

  it("gives the same events however the text is split, even between the CR and LF of one line end", () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      expect([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))], `cut at ${cut}`).toEqual(expected);
    }
    const parser = new SseParser();
    expect([...text].flatMap((char) => parser.push(char))).toEqual(expected);
  });

  it("orders decimal ids by value, so 10 follows 9", () => {
    expect(compareIds("10", "9")).toBeGreaterThan(0);
    expect(compareIds("9", "10")).toBeLessThan(0);
    expect(compareIds("007", "7")).toBe(0);
    expect(compareIds("12345678901234567890", "12345678901234567891")).toBeLessThan(0);
  });
});

describe("notification stream transport", () => {
  it("subscribes with the credentials, then yields notifications from frames split across writes", async () => {
    const server = await sseServer(({ response }) => {
      response.writeHead(200, EVENT_STREAM);
      const json = JSON.stringify(notification(2));
      // Split between two members: the joining newline is then JSON whitespace.
      const cut = json.indexOf(",") + 1;
      const text =
        "retry: 2000\r\n\r\nevent: ready\r\ndata: {}\r\n\r\n" +
        frame(1).replaceAll("\n", "\r\n") +
        ": keep-alive\n\n" +
        // One notification's JSON over several data lines.
        `id: 2\nevent: notification\ndata: ${json.slice(0, cut)}\ndata: ${json.slice(cut)}\n\n`;
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += 7) response.write(bytes.subarray(i, i + 7));
    });
    const stream = streamFrom(server);
    await within(stream.ready);
    const iterator = stream[Symbol.asyncIterator]();
    const first = await within(iterator.next());
    expect(first).toEqual({ done: false, value: notification(1) });
    expect((await within(iterator.next())).value).toEqual(notification(2));
    expect(stream.lastEventId).toBe("2");
    stream.close();

    const [connection] = server.connections;
    expect(connection?.url).toBe("/v1/notifications/stream");
    expect(connection?.headers.accept).toBe("text/event-stream");
    expect(connection?.headers.authorization).toBe("Bearer key.secret");
    expect(connection?.headers["last-event-id"]).toBeUndefined();
    await within(connection!.closed);
  });

  it("reconnects after a dropped or ended connection with Last-Event-ID, yielding nothing twice", async () => {
    const server = await sseServer(({ index, response }) => {
      open(response);
      if (index === 0) {
        response.write(frame(1) + frame(2));
        // An abrupt drop, mid-frame.
        setTimeout(() => response.destroy(), 50);
        response.write("id: 3\nevent: notif");
      } else if (index === 1) {
        // The server replays from Last-Event-ID; an overlap must not come out twice.
        response.end(frame(2) + frame(3));
      } else {
        response.write(frame(4));
      }
    });
    const stream = streamFrom(server);
    const iterator = stream[Symbol.asyncIterator]();
    expect(await take(iterator, 4)).toEqual(["1", "2", "3", "4"]);
    expect(server.connections.map((c) => c.headers["last-event-id"])).toEqual([undefined, "2", "3"]);
    expect(stream.lastEventId).toBe("4");
    await iterator.return?.();
  });

  it("resumes after lastEventId from the first connection and skips anything not newer", async () => {
    const server = await sseServer(({ response }) => {
      open(response);
      response.write(frame(4) + frame(5) + frame(6));
    });
    const stream = streamFrom(server, { lastEventId: 5 });
    expect(stream.lastEventId).toBe("5");
    const iterator = stream[Symbol.asyncIterator]();
    expect(await take(iterator, 1)).toEqual(["6"]);
    expect(server.connections[0]?.headers["last-event-id"]).toBe("5");
    stream.close();
  });

  it("throws an HTTP error as its typed error without retrying it", async () => {
    const server = await sseServer(({ response }) => {
      response.writeHead(401, { "content-type": "application/json" });
      response.end('{"error":{"type":"authentication_error","code":"invalid_credentials","message":"Bad key"}}');
    });
    const stream = streamFrom(server);
    const error = await failure(stream.ready);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).toBe("Bad key");
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.connections).toHaveLength(1);

    const missing = await sseServer(({ response }) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end("{}");
    });
    await expect(streamFrom(missing).ready).rejects.toBeInstanceOf(NotFoundError);
    expect(missing.connections).toHaveLength(1);
  });

  it("retries a 503 and a 429 after waiting, then streams", async () => {
    const server = await sseServer(({ index, response }) => {
      if (index < 2) {
        response.writeHead(index === 0 ? 503 : 429, { "content-type": "application/json", "retry-after": "0" });
        response.end("{}");
        return;
      }
      open(response);
      response.write(frame(1));
    });
    const stream = streamFrom(server);
    expect(await take(stream[Symbol.asyncIterator](), 1)).toEqual(["1"]);
    await within(stream.ready);
    expect(server.connections).toHaveLength(3);
    stream.close();
  }, 15_000);

  it("rejects an answer that is not an event stream, without retrying", async () => {
    const server = await sseServer(({ response }) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
    const stream = streamFrom(server);
    const error = await failure(stream.ready);
    expect(error).toBeInstanceOf(ContactdError);
    expect((error as Error).message).toMatch(/text\/event-stream/);
    expect(server.connections).toHaveLength(1);
  });

  it("with reconnect: false, ends the loop when the server ends the stream", async () => {
    const server = await sseServer(({ response }) => {
      open(response);
      response.end(frame(1));
    });
    const seen: string[] = [];
    for await (const item of streamFrom(server, { reconnect: false })) seen.push(item.id);
    expect(seen).toEqual(["1"]);
    expect(server.connections).toHaveLength(1);
  });

  it("break ends the loop and the request", async () => {
    const server = await sseServer(({ response }) => {
      open(response);
      response.write(frame(1) + frame(2));
    });
    const stream = streamFrom(server);
    const seen: string[] = [];
    for await (const item of stream) {
      seen.push(item.id);
      break;
    }
    expect(seen).toEqual(["1"]);
    await within(server.connections[0]!.closed);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it("close() ends a waiting loop cleanly and the request; before ready, ready rejects", async () => {
    const server = await sseServer(({ index, response }) => {
      if (index === 0) open(response);
    });
    const stream = streamFrom(server);
    await within(stream.ready);
    const pending = stream[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close();
    expect(await within(pending)).toEqual({ done: true, value: undefined });
    await within(server.connections[0]!.closed);

    // The second connection never answers.
    const early = streamFrom(server);
    await within(new Promise((resolve) => setTimeout(resolve, 50)));
    early.close();
    await expect(early.ready).rejects.toBeInstanceOf(APIUserAbortError);
    await within(server.connections[1]!.closed);
  });

  it("an aborted signal ends the loop cleanly and the request", async () => {
    const server = await sseServer(({ response }) => {
      open(response);
      response.write(frame(1));
    });
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const item of streamFrom(server, { signal: controller.signal })) {
      seen.push(item.id);
      controller.abort();
    }
    expect(seen).toEqual(["1"]);
    await within(server.connections[0]!.closed);

    const aborted = streamFrom(server, { signal: AbortSignal.abort() });
    expect(await aborted[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    await expect(aborted.ready).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("the client timeout bounds only the wait for the headers, not the open stream", async () => {
    const server = await sseServer(({ index, response }) => {
      if (index > 0) return; // never answers
      open(response);
      setTimeout(() => response.write(frame(1)), 700);
    });
    const stream = streamFrom(server, {}, 300);
    expect(await take(stream[Symbol.asyncIterator](), 1)).toEqual(["1"]);
    stream.close();

    const silent = streamFrom(server, { reconnect: false }, 300);
    await expect(silent.ready).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });
});
