import { CREDENTIALS_CHANNEL, type CredentialSecretRow, findCredentialByKey } from "../../store/credentials.js";
import type { CoreDeps } from "../deps.js";

/** A safety net only: revocations reach every process at once by NOTIFY. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Credentials recently looked up by key, so a request does not pay a database round trip to
 * learn who it is. Only the stored row is kept (salt, hash, role, revocation); `authenticate`
 * remembers the secret last proven against a row it holds, for as long as it holds it. A
 * revocation in any process sends a NOTIFY naming the key, which drops it here; a lost listening
 * connection drops everything, since a revocation may have been missed meanwhile. Until this
 * process listens, nothing is cached.
 */
export class CredentialCache {
  private readonly entries = new Map<string, { row: CredentialSecretRow; until: number }>();
  private listening: Promise<(() => Promise<void>) | null> | null = null;
  private ready = false;
  /** Counts forgets: a row read before one may be stale, so it is not kept. */
  private forgets = 0;

  constructor(private readonly deps: CoreDeps) {}

  /** The row kept for this key, if it has not expired. */
  cached(key: string): CredentialSecretRow | null {
    const hit = this.entries.get(key);
    return hit && hit.until > Date.now() ? hit.row : null;
  }

  async find(key: string): Promise<CredentialSecretRow | null> {
    const hit = this.cached(key);
    if (hit) return hit;
    await this.listen();
    // Read after listening, so a revocation committed after this read cannot be missed, and kept
    // only if nothing was forgotten meanwhile (that NOTIFY may have been about this very row).
    const forgets = this.forgets;
    const row = await findCredentialByKey(this.deps.db, key);
    if (this.ready && forgets === this.forgets) this.remember(key, row);
    return row;
  }

  /** Forgets a key at once (this process revoked it; others hear of it by NOTIFY). */
  drop(key: string): void {
    this.forgets++;
    this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.ready = false;
    this.entries.clear();
    const stop = await this.listening;
    this.listening = null;
    await stop?.();
  }

  private remember(key: string, row: CredentialSecretRow | null): void {
    // Unknown keys are not kept: guessing keys must not fill the cache.
    if (row === null) return;
    this.entries.delete(key);
    this.entries.set(key, { row, until: Date.now() + TTL_MS });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  private listen(): Promise<(() => Promise<void>) | null> {
    this.listening ??= this.deps.db
      .listen(CREDENTIALS_CHANNEL, (key) => {
        if (key !== null) return this.drop(key);
        this.forgets++;
        this.entries.clear();
      })
      .then(
        (stop) => {
          this.ready = true;
          return stop;
        },
        () => null,
      );
    return this.listening;
  }
}
