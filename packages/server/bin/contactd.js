#!/usr/bin/env node
// The `contactd` command. It lives outside dist/ so that `npm install` can link it before the
// first build; the command itself is compiled with the server (`npm run build`, or `npm start`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("contactd is not built yet: run `npm run build` (or `npm start`) first.\n");
  process.exit(1);
}
await import(entry.href);
