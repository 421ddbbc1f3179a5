import type { Command } from "../command.js";
import { withCore } from "../open.js";
import { printIssuedKey } from "../output.js";
import { CliError } from "../target.js";

export const accountsCreateCommand: Command = {
  name: "accounts create",
  summary: "Create an account with an administrator and their API key",
  help: `Usage: contactd accounts create --name NAME [--admin-key KEY --admin-secret SECRET] [--json]

Creates an account in the configured database, with a first administrator and an API key for
them. The key's secret is printed once: store it. With --admin-key and --admin-secret, those are
used instead of generated ones (for scripted set-ups).

Options:
  --name NAME             the account's name (required)
  --admin-key KEY         8 to 128 of A-Z a-z 0-9 _ -
  --admin-secret SECRET   16 to 256 characters
  --json                  print the result as JSON`,
  options: {
    name: { type: "string" },
    "admin-key": { type: "string" },
    "admin-secret": { type: "string" },
    json: { type: "boolean" },
  },
  async run(context) {
    const name = ((context.values.name as string | undefined) ?? "").trim();
    if (name === "" || name.length > 255) throw new CliError("give the account a --name (1 to 255 characters)", 2);
    const key = context.values["admin-key"] as string | undefined;
    const secret = context.values["admin-secret"] as string | undefined;
    if ((key === undefined) !== (secret === undefined)) {
      throw new CliError("--admin-key and --admin-secret go together", 2);
    }
    if (key !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(key)) {
      throw new CliError("--admin-key must be 8 to 128 of A-Z a-z 0-9 _ -", 2);
    }
    if (secret !== undefined && (secret.length < 16 || secret.length > 256)) {
      throw new CliError("--admin-secret must be 16 to 256 characters", 2);
    }
    const created = await withCore(context, (core) =>
      core.accounts.create({ name, key: key && secret ? { key, secret } : undefined }),
    );
    const { account, administrator, apiKey } = created;
    if (context.values.json) {
      context.stdout.write(
        `${JSON.stringify({
          account: { id: String(account.id), name: account.name },
          administrator: { id: String(administrator.id), name: administrator.name },
          api_key: { id: String(apiKey.id), key: apiKey.key, secret: apiKey.secret, token: apiKey.token },
        })}\n`,
      );
      return 0;
    }
    const headline = `Created account ${account.id} ("${account.name}") with administrator ${administrator.id}.`;
    printIssuedKey(context.stdout, headline, apiKey);
    return 0;
  },
};
