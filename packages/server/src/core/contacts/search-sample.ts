import type { Database } from "../../store/database.js";
import { loadSearchSample, type TermSample } from "../../store/search-sample.js";

/** Statistics change with each ANALYZE (autovacuum's, or the import's); a few minutes' lag is harmless. */
const REFRESH_MS = 5 * 60_000;

/**
 * The search sample (`store/search-sample.ts`), read at the first search and again in the
 * background once it is a few minutes old. While there is none, searches are planned term by term.
 */
export class SearchSampleCache {
  private sample: TermSample | null = null;
  private loadedAt: number | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  async current(): Promise<TermSample | null> {
    if (this.loadedAt === null) await this.refresh();
    else if (Date.now() - this.loadedAt > REFRESH_MS) void this.refresh();
    return this.sample;
  }

  private refresh(): Promise<void> {
    this.loading ??= loadSearchSample(this.db)
      .then(
        (sample) => {
          this.sample = sample;
        },
        // A search works without a sample (each one is planned); the next refresh tries again.
        () => {},
      )
      .finally(() => {
        this.loadedAt = Date.now();
        this.loading = null;
      });
    return this.loading;
  }
}
