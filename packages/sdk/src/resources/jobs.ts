import { ContactdError } from "../errors.js";
import type { ID } from "../types.js";

export interface WaitParams {
  /** Between polls (default 500 ms). */
  intervalMs?: number;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
}

const FINISHED = new Set(["succeeded", "failed"]);

/** Polls a background job until it has succeeded or failed, and returns it. */
export async function waitForJob<T extends { status: string }>(
  what: string,
  id: ID,
  get: (id: ID) => Promise<T>,
  params: WaitParams = {},
): Promise<T> {
  const deadline = Date.now() + (params.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const current = await get(id);
    if (FINISHED.has(current.status)) return current;
    if (Date.now() > deadline) throw new ContactdError(`${what} ${id} did not finish in time (${current.status})`);
    await new Promise((resolve) => setTimeout(resolve, params.intervalMs ?? 500));
  }
}
