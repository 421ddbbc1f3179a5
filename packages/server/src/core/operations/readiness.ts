import { pendingMigrations } from "../../store/migrate.js";
import { databaseAnswers } from "../../store/operations.js";
import type { CoreDeps } from "../deps.js";

export type Readiness =
  | { ready: true }
  | { ready: false; reason: "database_unreachable" }
  | { ready: false; reason: "migrations_pending"; pending: string[] };

/** Whether this process can serve: its database answers and has every migration it ships. */
export async function checkReadiness(deps: CoreDeps): Promise<Readiness> {
  if (!(await databaseAnswers(deps.db))) return { ready: false, reason: "database_unreachable" };
  const pending = await pendingMigrations(deps.db).catch(() => null);
  if (pending === null) return { ready: false, reason: "database_unreachable" };
  if (pending.length > 0) return { ready: false, reason: "migrations_pending", pending };
  return { ready: true };
}
