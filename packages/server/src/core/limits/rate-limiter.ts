import type { Database } from "../../store/database.js";
import { deleteWindowsBefore, leaseRequests } from "../../store/rate-limits.js";
import type { Actor } from "../actor.js";
import { RateLimitedError } from "../errors.js";

const WINDOW_MS = 60_000;
/** A process leases this share of a window's limit at a time. */
const LEASE_SHARE = 1 / 100;

export interface Quota {
  /** Requests a credential may make per minute. */
  limit: number;
  remaining: number;
  /** Seconds until the current minute's window ends and the count starts again. */
  resetSeconds: number;
}

/** One credential's window as this process knows it. */
interface Tally {
  accountId: number;
  credentialId: number;
  windowStart: number;
  /** Requests this process leased and admitted. */
  granted: number;
  admitted: number;
  /** Requests every process has leased, as of this process's latest lease. */
  leased: number;
  leasing: Promise<void> | null;
}

/**
 * Requests per credential per minute (fixed windows), shared by every server process through one
 * table. A process leases a share of the window's limit at a time and admits requests from it
 * with no database round trip; leases are taken atomically, so all processes together never
 * admit more than the limit. What a process leased and did not use is lost to the others until
 * the window ends: at most one share per process.
 */
export class RateLimiter {
  /** By credential id: each credential's current window. */
  private readonly tallies = new Map<number, Tally>();
  private readonly share: number;
  private cleanedAt = 0;

  constructor(
    private readonly db: Database,
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.share = Math.max(1, Math.ceil(perMinute * LEASE_SHARE));
  }

  /**
   * Counts a request of the actor's credential and answers the quota left, at once while this
   * process holds leased requests (the common case), else once a lease is taken. Throws (or
   * rejects with) RateLimitedError past the limit.
   */
  take(actor: Actor): Quota | Promise<Quota> {
    const tally = this.tallyOf(actor);
    return tally.admitted < tally.granted ? this.admit(tally) : this.takeLeased(tally);
  }

  private async takeLeased(tally: Tally): Promise<Quota> {
    while (tally.admitted >= tally.granted && tally.leased < this.perMinute) await this.lease(tally);
    return this.admit(tally);
  }

  private admit(tally: Tally): Quota {
    if (tally.admitted >= tally.granted) throw new RateLimitedError(this.quota(tally));
    tally.admitted++;
    return this.quota(tally);
  }

  private quota(tally: Tally): Quota {
    return {
      limit: this.perMinute,
      remaining: this.perMinute - tally.leased + (tally.granted - tally.admitted),
      resetSeconds: Math.max(1, Math.ceil((tally.windowStart + WINDOW_MS - this.now()) / 1000)),
    };
  }

  private tallyOf(actor: Actor): Tally {
    const windowStart = Math.floor(this.now() / WINDOW_MS) * WINDOW_MS;
    const current = this.tallies.get(actor.credentialId);
    if (current?.windowStart === windowStart) return current;
    this.forgetPastWindows(windowStart);
    const tally: Tally = {
      accountId: actor.accountId,
      credentialId: actor.credentialId,
      windowStart,
      granted: 0,
      admitted: 0,
      leased: 0,
      leasing: null,
    };
    this.tallies.set(actor.credentialId, tally);
    return tally;
  }

  /** One lease at a time per tally: requests arriving meanwhile wait for it. */
  private lease(tally: Tally): Promise<void> {
    tally.leasing ??= leaseRequests(
      this.db,
      { accountId: tally.accountId, credentialId: tally.credentialId, windowStart: new Date(tally.windowStart) },
      this.share,
      this.perMinute,
    )
      .then(({ granted, leased }) => {
        tally.granted += granted;
        tally.leased = leased;
      })
      .finally(() => {
        tally.leasing = null;
      });
    return tally.leasing;
  }

  /** Drops this process's past windows, and once a minute the table's. */
  private forgetPastWindows(current: number): void {
    for (const [key, tally] of this.tallies) if (tally.windowStart < current) this.tallies.delete(key);
    if (this.now() - this.cleanedAt < WINDOW_MS) return;
    this.cleanedAt = this.now();
    deleteWindowsBefore(this.db, new Date(current - WINDOW_MS)).catch(() => {});
  }
}
