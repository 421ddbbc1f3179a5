import { APIUserAbortError, ContactdError } from "../errors.js";
import { sleep } from "../retry.js";
import type { ID, RequestOptions } from "../types.js";

export interface WaitParams {
  /** Between polls (default 500 ms). */
  intervalMs?: number;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Stops the wait (and the poll in flight); the call rejects with APIUserAbortError. */
  signal?: AbortSignal;
}

const FINISHED = new Set(["succeeded", "failed"]);

/** Polls a background job until it has succeeded or failed, and returns it. */
export async function waitForJob<T extends { status: string }>(
  what: string,
  id: ID,
  get: (id: ID, options: RequestOptions) => Promise<T>,
  params: WaitParams = {},
): Promise<T> {
  const deadline = Date.now() + (params.timeoutMs ?? 10 * 60_000);
  const { signal } = params;
  for (;;) {
    const current = await get(id, { signal });
    if (FINISHED.has(current.status)) return current;
    if (Date.now() > deadline) throw new ContactdError(`${what} ${id} did not finish in time (${current.status})`);
    try {
      await sleep(params.intervalMs ?? 500, signal);
    } catch (reason) {
      throw new APIUserAbortError(undefined, { cause: reason });
    }
  }
}
