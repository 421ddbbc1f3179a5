import { once } from "node:events";
import { type Command, TARGET_HELP, TARGET_OPTIONS } from "../command.js";
import { CsvRecordCounter } from "../csv-records.js";
import { openTarget } from "../open.js";
import { count, duration, Progress } from "../progress.js";

export const exportCommand: Command = {
  name: "export",
  summary: "Write contacts as CSV to standard output, with live progress",
  help: `Usage: contactd export (--url URL --token TOKEN | --account ID) [options] > contacts.csv

Writes the account's contacts (or those matching --q / --labels) as CSV to standard output, in
id order, streamed: memory stays flat however many there are. Progress goes to standard error
(with the time left when the total is known: against the database without --q).

${TARGET_HELP}

Options:
  --columns LIST   columns, comma-separated (default: the export's default columns; see
                   docs/api.md#export)
  --labels LIST    only contacts with any of these labels
  --q TERM         only contacts the search matches`,
  options: {
    ...TARGET_OPTIONS,
    columns: { type: "string" },
    labels: { type: "string" },
    q: { type: "string" },
  },
  async run(context) {
    const list = (name: string) =>
      (context.values[name] as string | undefined)
        ?.split(",")
        .map((item) => item.trim())
        .filter(Boolean);
    const request = { columns: list("columns"), labels: list("labels"), q: context.values.q as string | undefined };
    const target = await openTarget(context);
    try {
      const total = await target.exportTotal(request);
      const progress = new Progress("export", context.stderr);
      const records = new CsvRecordCounter();
      for await (const bytes of target.exportCsv(request)) {
        records.push(bytes);
        if (!context.stdout.write(bytes)) await once(context.stdout, "drain");
        progress.update(Math.max(0, records.records - 1), total);
      }
      const rows = Math.max(0, records.records - 1);
      const seconds = progress.elapsedSeconds;
      const rate = seconds > 0 ? Math.round(rows / seconds) : rows;
      progress.finish(
        `Exported ${count(rows)} contacts from ${target.name} in ${duration(seconds)} (${count(rate)} rows/s).`,
      );
      return 0;
    } finally {
      await target.close();
    }
  },
};
