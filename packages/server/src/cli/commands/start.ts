import type { Command } from "../command.js";

export const startCommand: Command = {
  name: "start",
  summary: "Start the server (what `npm start` runs)",
  help: `Usage: contactd start

Starts the server with the settings in the environment (docs/configuration.md): it migrates the
database, creates the first account on an empty one, and serves until SIGTERM or SIGINT, when it
finishes what is in flight (CONTACTD_SHUTDOWN_TIMEOUT_MS) and exits.`,
  options: {},
  async run() {
    // The server's entry runs on import and keeps the process alive until it is stopped.
    await import("../../main.js");
    return new Promise<number>(() => {});
  },
};
