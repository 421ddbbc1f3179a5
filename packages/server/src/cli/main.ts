#!/usr/bin/env node
import { runCli } from "./run.js";

// `start` keeps running until the server is stopped; every other command ends with its status.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
