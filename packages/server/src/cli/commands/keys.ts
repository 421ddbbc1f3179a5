import type { ApiKey, IssuedApiKey } from "../../core/auth/keys.js";
import { NotFoundError } from "../../core/errors.js";
import type { Command } from "../command.js";
import { accountOption, administrator, withCore } from "../open.js";
import { printIssuedKey } from "../output.js";
import { CliError } from "../target.js";

const ROLES = ["administrator", "agent"] as const;

const ACCOUNT_HELP = `  --account ID     the account (required)
  --json           print the result as JSON`;

export const keysCreateCommand: Command = {
  name: "keys create",
  summary: "Issue an API key: for a user, or for a new user with a role",
  help: `Usage: contactd keys create --account ID (--user ID | --role administrator|agent) [--name NAME] [--json]

Issues an API key in the configured database. With --user, for that user; with --role, for a new
user of that role (named by --name). The secret is printed once: store it.

Options:
${ACCOUNT_HELP}
  --user ID        the user the key acts as
  --role ROLE      administrator or agent: create a user with this role for the key
  --name NAME      what the key (and a new user) is called, e.g. "n8n"`,
  options: {
    account: { type: "string" },
    user: { type: "string" },
    role: { type: "string" },
    name: { type: "string" },
    json: { type: "boolean" },
  },
  async run(context) {
    const accountId = accountOption(context);
    const name = ((context.values.name as string | undefined) ?? "").trim();
    const role = context.values.role as string | undefined;
    const userOption = context.values.user as string | undefined;
    if ((role === undefined) === (userOption === undefined)) throw new CliError("give either --user or --role", 2);
    if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
      throw new CliError(`--role must be administrator or agent, got "${role}"`, 2);
    }
    const issued = await withCore(context, async (core, where) => {
      const actor = await administrator(core, accountId, where);
      const userId =
        userOption !== undefined
          ? idOption(userOption, "--user")
          : (await core.auth.createUser(actor, { name: name || `${role} key`, role: role as (typeof ROLES)[number] }))
              .id;
      return notFoundAsCliError(() => core.auth.createApiKey(actor, { userId, name }));
    });
    if (context.values.json) {
      context.stdout.write(`${JSON.stringify({ ...renderKey(issued), secret: issued.secret, token: issued.token })}\n`);
      return 0;
    }
    const headline = `Issued API key ${issued.id} (${issued.role}, user ${issued.userId}) in account ${accountId}.`;
    printIssuedKey(context.stdout, headline, issued);
    return 0;
  },
};

export const keysListCommand: Command = {
  name: "keys list",
  summary: "List an account's API keys (never their secrets)",
  help: `Usage: contactd keys list --account ID [--json]

Options:
${ACCOUNT_HELP}`,
  options: { account: { type: "string" }, json: { type: "boolean" } },
  async run(context) {
    const accountId = accountOption(context);
    const keys = await withCore(context, async (core, where) =>
      core.auth.listApiKeys(await administrator(core, accountId, where)),
    );
    if (context.values.json) {
      context.stdout.write(`${JSON.stringify(keys.map(renderKey))}\n`);
      return 0;
    }
    context.stdout.write(table(keys));
    return 0;
  },
};

export const keysRevokeCommand: Command = {
  name: "keys revoke",
  summary: "Revoke an API key; every server process refuses it at once",
  help: `Usage: contactd keys revoke --account ID KEY_ID

Options:
${ACCOUNT_HELP}`,
  options: { account: { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 1, max: 1 },
  async run(context) {
    const accountId = accountOption(context);
    const id = idOption(context.positionals[0] as string, "KEY_ID");
    const revoked = await withCore(context, async (core, where) => {
      const actor = await administrator(core, accountId, where);
      return notFoundAsCliError(() => core.auth.revokeApiKey(actor, id));
    });
    context.stdout.write(
      context.values.json ? `${JSON.stringify(renderKey(revoked))}\n` : `Revoked API key ${id} (${revoked.key}).\n`,
    );
    return 0;
  },
};

function idOption(raw: string, what: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new CliError(`${what} must be an id, got "${raw}"`, 2);
  return id;
}

async function notFoundAsCliError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NotFoundError) throw new CliError(error.message);
    throw error;
  }
}

function renderKey(key: ApiKey | IssuedApiKey) {
  return {
    id: String(key.id),
    key: key.key,
    name: key.name,
    user_id: String(key.userId),
    role: key.role,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}

function table(keys: ApiKey[]): string {
  const rows = [
    ["ID", "KEY", "ROLE", "USER", "NAME", "CREATED", "REVOKED"],
    ...keys.map((k) => [
      String(k.id),
      k.key,
      k.role,
      String(k.userId),
      k.name,
      k.createdAt.toISOString().slice(0, 19),
      k.revokedAt?.toISOString().slice(0, 19) ?? "-",
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length))) ?? [];
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i] as number))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}
