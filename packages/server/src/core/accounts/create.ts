import { insertAccount, insertUser } from "../../store/accounts.js";
import type { Queryable } from "../../store/database.js";
import { type IssuedApiKey, issueApiKey } from "../auth/keys.js";

export interface NewAccount {
  account: { id: number; name: string };
  administrator: { id: number; name: string };
  apiKey: IssuedApiKey;
}

/** An account with its first administrator and that administrator's credential. */
export async function createAccount(
  tx: Queryable,
  input: { name: string; adminName?: string; key?: { key: string; secret: string } },
): Promise<NewAccount> {
  const account = await insertAccount(tx, input.name);
  const admin = await insertUser(tx, account.id, {
    name: input.adminName ?? "Administrator",
    email: null,
    role: "administrator",
  });
  const apiKey = await issueApiKey(tx, account.id, admin.id, "bootstrap", input.key);
  return { account: { id: account.id, name: account.name }, administrator: { id: admin.id, name: admin.name }, apiKey };
}
