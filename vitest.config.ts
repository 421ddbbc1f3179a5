import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["./test/pglite-template.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most test time is spent waiting (HTTP, timers, the database server), so more files than
    // cores run at once. Four were no faster: the embedded database's files are CPU-bound.
    maxWorkers: 3,
  },
});
