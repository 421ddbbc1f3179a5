import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { migrate } from "../packages/server/src/store/migrate.js";
import { pgliteTemplate } from "../packages/server/src/store/pglite.js";

// The provided value's type is declared in packages/server/test/harness.ts, which injects it.

/**
 * Runs once before all test files: on PGlite, migrates one database and dumps it, so each file
 * opens a copy instead of running initdb and the migrations again (seconds per file).
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide("pgliteTemplate", undefined);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "contactd-template-"));
  const file = join(dir, "migrated.tar");
  const dump = await pgliteTemplate(migrate);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteTemplate", file);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
