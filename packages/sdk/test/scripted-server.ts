import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 that answers each attempt as a script says: a canned answer,
 * a pass-through to the real contactd server, a pass-through whose answer is lost, or silence.
 * It records every attempt it saw, so tests can count retries and compare their headers.
 */

export interface Attempt {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Status and headers contactd gave, when the attempt was forwarded. */
  forwarded?: { status: number; headers: Headers; body: string };
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Pass the attempt to contactd and its answer back. */
  | "forward"
  /** Pass the attempt to contactd, then answer 503 as if its answer had been lost on the way. */
  | "forward-then-503"
  /** Never answer. */
  | "hang";

export type Script = (attempt: Attempt, index: number) => Reply;

export interface ScriptedServer {
  url: string;
  attempts: Attempt[];
  close(): Promise<void>;
}

const PASSED_ON = ["content-type", "x-request-id", "idempotent-replayed", "retry-after", "www-authenticate"];

export async function startScriptedServer(script: Script, target?: string): Promise<ScriptedServer> {
  const attempts: Attempt[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const attempt: Attempt = {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    attempts.push(attempt);
    const reply = script(attempt, attempts.length - 1);
    try {
      if (reply === "hang") return;
      if (reply === "forward" || reply === "forward-then-503") {
        if (!target) throw new Error("this scripted server has no target to forward to");
        const answer = await fetch(`${target}${attempt.url}`, {
          method: attempt.method,
          headers: forwardedHeaders(attempt.headers),
          body: attempt.body === "" ? undefined : attempt.body,
        });
        attempt.forwarded = { status: answer.status, headers: answer.headers, body: await answer.text() };
        if (reply === "forward-then-503") return send(response, 503, { "content-type": "text/plain" }, "lost");
        const headers: Record<string, string> = {};
        for (const name of PASSED_ON) {
          const value = answer.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        return send(response, answer.status, headers, attempt.forwarded.body);
      }
      return send(response, reply.status, reply.headers ?? {}, reply.body ?? "");
    } catch (error) {
      send(response, 599, { "content-type": "text/plain" }, String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    async close() {
      // Hanging attempts hold their sockets open; close them so close() can finish.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  response.writeHead(status, headers);
  response.end(body);
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of ["authorization", "content-type", "accept", "idempotency-key"]) {
    const value = headers[name];
    if (typeof value === "string") result[name] = value;
  }
  return result;
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
