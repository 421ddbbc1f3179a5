import { parseArgs } from "node:util";
import { DomainError, ValidationError } from "../core/errors.js";
import type { Command, CommandContext } from "./command.js";
import { accountsCreateCommand } from "./commands/accounts.js";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from "./commands/keys.js";
import { migrateCommand } from "./commands/migrate.js";
import { startCommand } from "./commands/start.js";
import { CliError } from "./target.js";

const COMMANDS: Command[] = [
  startCommand,
  migrateCommand,
  accountsCreateCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  importCommand,
  exportCommand,
];

const OVERVIEW = `Usage: contactd COMMAND [options]

${COMMANDS.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join("\n")}

Settings come from the environment, as for the server (docs/configuration.md).
Run \`contactd COMMAND --help\` for a command's options.`;

/** Runs the command line `args`; resolves to the exit status. */
export async function runCli(args: string[], context: Omit<CommandContext, "values" | "positionals">) {
  const { command, rest } = find(args);
  if (!command) {
    const helpAsked = (words: string[]) => words.length === 0 || ["--help", "-h", "help"].includes(words[0] as string);
    // A group on its own ("contactd keys"): its commands.
    const group = COMMANDS.filter((c) => c.name.startsWith(`${args[0]} `));
    if (group.length > 0 && helpAsked(args.slice(1))) {
      context.stdout.write(`${group.map((c) => `  contactd ${c.name.padEnd(16)}${c.summary}`).join("\n")}\n`);
      return 0;
    }
    const asked = helpAsked(args);
    (asked ? context.stdout : context.stderr).write(
      `${asked ? "" : `contactd: unknown command "${args.join(" ")}"\n\n`}${OVERVIEW}\n`,
    );
    return asked ? 0 : 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    context.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    const { min, max } = command.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new CliError(`wrong number of arguments\n\n${command.help}`, 2);
    }
    return await command.run({ ...context, values: parsed.values, positionals: parsed.positionals });
  } catch (error) {
    return report(command, error, context.stderr);
  }
}

/** The longest command name `args` starts with ("keys create" before "keys"). */
function find(args: string[]): { command: Command | undefined; rest: string[] } {
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: args.slice(words) };
  }
  return { command: undefined, rest: [] };
}

function report(command: Command, error: unknown, stderr: CommandContext["stderr"]): number {
  const code = (error as { code?: string }).code;
  if (error instanceof CliError) {
    stderr.write(`contactd ${command.name}: ${error.message}\n`);
    return error.exitCode;
  }
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
    stderr.write(`contactd ${command.name}: ${(error as Error).message}\n\n${command.help}\n`);
    return 2;
  }
  if (error instanceof ValidationError) {
    stderr.write(`contactd ${command.name}: ${error.fields.map((f) => `${f.field} ${f.message}`).join("; ")}\n`);
    return 2;
  }
  if (error instanceof DomainError) {
    stderr.write(`contactd ${command.name}: ${error.message}\n`);
    return 1;
  }
  stderr.write(`contactd ${command.name}: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}
