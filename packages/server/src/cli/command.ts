import type { ParseArgsConfig } from "node:util";
import type { ProgressStream } from "./progress.js";

/** One command of the command line: its help, its options and what it does. */
export interface Command {
  /** As typed: "keys create". */
  name: string;
  summary: string;
  /** The usage lines and option descriptions printed by --help. */
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Positional arguments it takes (FILE, ID); none unless set. */
  positionals?: { min: number; max: number };
  /** Resolves to the exit status. */
  run(context: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: ProgressStream;
}

/** The options every command that reaches a running server or the database takes. */
export const TARGET_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  account: { type: "string" },
} as const;

export const TARGET_HELP = `Where:
  --url URL        a running contactd server (or CONTACTD_URL), with
  --token TOKEN    an API key's token, key.secret (or CONTACTD_TOKEN)
  --account ID     without --url: work on the database directly (DATABASE_URL, or the embedded
                   database in CONTACTD_DATA_DIR), acting as the account's first administrator`;
