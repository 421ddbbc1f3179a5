import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Command, TARGET_HELP, TARGET_OPTIONS } from "../command.js";
import { openTarget } from "../open.js";
import { count, duration, Progress } from "../progress.js";
import { CliError, type ImportState, type Target } from "../target.js";

const POLL_MS = 250;

export const importCommand: Command = {
  name: "import",
  summary: "Import contacts from a CSV file, with live progress",
  help: `Usage: contactd import FILE (--url URL --token TOKEN | --account ID) [options]

Imports the contacts in a CSV file (header row first; columns as in docs/api.md#imports):
matched contacts are updated, new ones created, every row accounted for. Progress goes to
standard error: a live bar on a terminal, a plain line every few seconds otherwise. Exits 0 when
the import succeeded (rows it refused are counted and listed by the API), 1 when it failed.

${TARGET_HELP}

Options:
  --match KEYS              keys an existing contact is matched by, in order (default
                            identifier,email,phone)
  --unknown-columns WHAT    ignore (default) or custom_attributes
  --dry-run                 check and count every row, write nothing
  --no-wait                 queue the import and print its id without waiting (with --url)`,
  options: {
    ...TARGET_OPTIONS,
    match: { type: "string" },
    "unknown-columns": { type: "string" },
    "dry-run": { type: "boolean" },
    "no-wait": { type: "boolean" },
  },
  positionals: { min: 1, max: 1 },
  async run(context) {
    const path = context.positionals[0] as string;
    await stat(path).catch(() => {
      throw new CliError(`no such file: ${path}`, 2);
    });
    const target = await openTarget(context);
    try {
      const started = await target.startImport({
        path,
        fileName: basename(path),
        match: context.values.match as string | undefined,
        unknownColumns: context.values["unknown-columns"] as string | undefined,
        dryRun: context.values["dry-run"] === true,
      });
      if (context.values["no-wait"]) {
        if (target.runImports)
          throw new CliError("--no-wait needs --url: against the database, this process runs it", 2);
        context.stdout.write(`${started.id}\n`);
        return 0;
      }
      const progress = new Progress("import", context.stderr);
      const finished = await follow(target, started.id, progress);
      progress.finish(summary(path, finished, progress.elapsedSeconds));
      return finished.status === "succeeded" ? 0 : 1;
    } finally {
      await target.close();
    }
  },
};

/** Polls the import until it ends, running it here when the target is the database. */
async function follow(target: Target, id: string, progress: Progress): Promise<ImportState> {
  const running = target.runImports?.();
  let failure: unknown = null;
  running?.catch((error) => {
    failure = error;
  });
  for (;;) {
    if (failure) throw failure;
    const state = await target.importState(id);
    if (state.status === "succeeded" || state.status === "failed") {
      await running;
      return state;
    }
    progress.update(state.processedRows, state.totalRows > 0 ? state.totalRows : null);
    await sleep(POLL_MS);
  }
}

function summary(path: string, state: ImportState, seconds: number): string {
  const counts = `${count(state.created)} created, ${count(state.updated)} updated, ${count(state.skipped)} skipped, ${count(state.failed)} failed`;
  if (state.status === "failed") {
    return `Import ${state.id} of ${path} failed after ${count(state.processedRows)} rows: ${state.error?.message ?? "no reason given"} (${counts}).`;
  }
  const rate = seconds > 0 ? Math.round(state.processedRows / seconds) : state.processedRows;
  const failedNote = state.failed > 0 ? `\nThe failed rows, with why: GET /v1/imports/${state.id}/failed_rows.csv` : "";
  return `Imported ${path} (import ${state.id}): ${count(state.totalRows)} rows in ${duration(seconds)} (${count(rate)} rows/s): ${counts}.${failedNote}`;
}
