import { join } from "node:path";
import { type GenerateSummary, generate, MAX_ROWS } from "../generate-csv.js";

/**
 * The suite's dataset: one large account holding half the contacts and 20 smaller ones sharing the
 * rest unevenly, loaded in stages (10k, 100k, then N contacts in all), each stage adding rows to
 * every account in proportion. Every file comes from the bulk generator with its own seed and row
 * numbers, so the whole dataset is the same for the same seed and size, and no key repeats.
 */

export interface AccountPlan {
  index: number;
  name: string;
  /** Share of all contacts. */
  share: number;
  credential: { key: string; secret: string };
}

export const LARGE_SHARE = 0.5;
const SMALL_ACCOUNTS = 20;

export function planAccounts(): AccountPlan[] {
  // Smaller accounts get weights 20, 19, …, 1 of the other half: from about 4.8 % of N down to 0.24 %.
  const weights = Array.from({ length: SMALL_ACCOUNTS }, (_, i) => SMALL_ACCOUNTS - i);
  const total = weights.reduce((a, b) => a + b, 0);
  const credential = (index: number) => ({
    key: `ck_bench_${String(index).padStart(2, "0")}`,
    secret: `bench-secret-${String(index).padStart(2, "0")}-0123456789`,
  });
  return [
    { index: 0, name: "Bench large", share: LARGE_SHARE, credential: credential(0) },
    ...weights.map((w, i) => ({
      index: i + 1,
      name: `Bench ${String(i + 1).padStart(2, "0")}`,
      share: ((1 - LARGE_SHARE) * w) / total,
      credential: credential(i + 1),
    })),
  ];
}

/** Dataset sizes at which the suite measures growth: 10k and 100k below the full size, then the full size. */
export function stageSizes(total: number): number[] {
  return [10_000, 100_000].filter((size) => size < total).concat(total);
}

export interface StageFile {
  account: number;
  stage: number;
  rows: number;
  startIndex: number;
  seed: number;
  csv: string;
  copy: string;
}

/** How many rows each account holds at a dataset size; the large account takes the rounding. */
function targets(size: number, accounts: AccountPlan[]): number[] {
  const small = accounts.map((a) => (a.index === 0 ? 0 : Math.round(a.share * size)));
  small[0] = size - small.reduce((a, b) => a + b, 0);
  return small;
}

/** The files of every stage: per account, the rows it gains at that stage. */
export function planStages(total: number, accounts: AccountPlan[], seed: number, dir: string): StageFile[][] {
  if (total > MAX_ROWS) throw new Error(`the dataset can hold at most ${MAX_ROWS} rows`);
  let previous = accounts.map(() => 0);
  let startIndex = 0;
  return stageSizes(total).map((size, stage) => {
    const now = targets(size, accounts);
    const files: StageFile[] = [];
    for (const account of accounts) {
      const rows = (now[account.index] as number) - (previous[account.index] as number);
      if (rows <= 0) continue;
      const name = `stage${stage}-account${String(account.index).padStart(2, "0")}`;
      files.push({
        account: account.index,
        stage,
        rows,
        startIndex,
        seed: seed + 1000 * stage + account.index,
        csv: join(dir, `${name}.csv`),
        copy: join(dir, `${name}.copy.csv`),
      });
      startIndex += rows;
    }
    previous = now;
    return files;
  });
}

/** Writes a stage's CSV files, and the COPY rows beside them (account_id first). */
export async function writeStage(files: StageFile[], accountIds: number[]): Promise<GenerateSummary[]> {
  const summaries: GenerateSummary[] = [];
  for (const file of files) {
    summaries.push(
      await generate({
        rows: file.rows,
        out: file.csv,
        copyOut: file.copy,
        seed: file.seed,
        startIndex: file.startIndex,
        copyAccountId: accountIds[file.account] as number,
      }),
    );
  }
  return summaries;
}
