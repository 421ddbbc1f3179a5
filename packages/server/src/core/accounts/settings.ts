import { agentsCanMerge, setAgentsCanMerge } from "../../store/merges.js";
import { type Actor, requireAdministrator } from "../actor.js";
import type { CoreDeps } from "../deps.js";

/** Account-wide choices an administrator makes. */
export interface AccountSettings {
  /** Whether agents may merge contacts (administrators always may). */
  agentsCanMerge: boolean;
}

export async function getAccountSettings(deps: CoreDeps, actor: Actor): Promise<AccountSettings> {
  return { agentsCanMerge: await agentsCanMerge(deps.db, actor.accountId) };
}

export async function updateAccountSettings(
  deps: CoreDeps,
  actor: Actor,
  input: Partial<AccountSettings>,
): Promise<AccountSettings> {
  requireAdministrator(actor);
  if (input.agentsCanMerge !== undefined) await setAgentsCanMerge(deps.db, actor.accountId, input.agentsCanMerge);
  return getAccountSettings(deps, actor);
}
