import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  payload: { id: string; type: string; subject: { contact_id: string | null }; data: Record<string, any> };
  /** What the receiver answered: a status, or "hang" (never answered). */
  answer: number | "hang";
  /** When the sender gave up on a request left hanging and closed it (its timeout); null while open. */
  closedAt: number | null;
}

/**
 * A real HTTP endpoint on 127.0.0.1 that records every webhook request. `answer` decides each
 * response (a status code, or "hang" to never answer) from the request and how many requests
 * with the same webhook-id came before it.
 */
export async function startReceiver(
  answer: (request: Omit<Received, "answer" | "closedAt">, previousTries: number) => number | "hang" = () => 200,
): Promise<{
  url: string;
  received: Received[];
  /** Requests answered 2xx, in the order they were answered. */
  accepted(): Received[];
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  setAnswer(next: typeof answer): void;
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  let decide = answer;
  const hanging = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const base = {
        id: String(request.headers["webhook-id"]),
        timestamp: String(request.headers["webhook-timestamp"]),
        signature: String(request.headers["webhook-signature"]),
        headers: request.headers,
        body,
        payload: JSON.parse(body),
      };
      const tries = received.filter((r) => r.id === base.id).length;
      const status = decide(base, tries);
      const record: Received = { ...base, answer: status, closedAt: null };
      received.push(record);
      if (status === "hang") {
        hanging.add(response);
        response.on("close", () => {
          record.closedAt = Date.now();
        });
        return;
      }
      response.writeHead(status, { "content-type": "text/plain" }).end(`answered ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    accepted: () => received.filter((r) => typeof r.answer === "number" && r.answer >= 200 && r.answer < 300),
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met; got ${received.length} requests`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    setAnswer(next) {
      decide = next;
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The receiver's side of Standard Webhooks signatures, written independently of the server's. */
export function signatureIsValid(secret: string, received: Pick<Received, "id" | "timestamp" | "signature" | "body">) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${received.id}.${received.timestamp}.${received.body}`).digest();
  return received.signature.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
