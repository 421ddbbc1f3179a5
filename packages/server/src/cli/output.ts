import type { IssuedApiKey } from "../core/auth/keys.js";
import type { CommandContext } from "./command.js";

/** A new API key's key, secret and token after `headline`: the only time the secret is shown. */
export function printIssuedKey(stdout: CommandContext["stdout"], headline: string, issued: IssuedApiKey): void {
  stdout.write(
    [
      headline,
      `  key:    ${issued.key}`,
      `  secret: ${issued.secret}`,
      `  token:  ${issued.token}`,
      "The secret is shown only this once: store it now.",
      "",
    ].join("\n"),
  );
}
