/** A running import is claimed by one worker at a time, for a lease it keeps renewing. */

/**
 * Renewed with every batch and by a heartbeat while the job runs (the first pass over a large file
 * writes no batch); a worker that stops renewing it (crashed) hands the job on within a minute.
 */
export const LEASE_MS = 60_000;
/** The lease ran out and another worker claimed the job: this one's writes must not land. */
export class LeaseLost extends Error {}
