import { migrate } from "../../store/migrate.js";
import type { Command } from "../command.js";
import { openConfiguredDatabase } from "../open.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Apply the database migrations this version ships, then exit",
  help: `Usage: contactd migrate

Applies every pending migration to the configured database (DATABASE_URL, or the embedded
database in CONTACTD_DATA_DIR), in order, in one transaction, and lists them. Safe to run while
other processes start: they wait for one another. The server also migrates when it starts.`,
  options: {},
  async run({ env, stdout }) {
    const { name, db } = await openConfiguredDatabase(env);
    try {
      const applied = await migrate(db);
      stdout.write(
        applied.length === 0
          ? `${name} is up to date.\n`
          : `Applied ${applied.length} migration(s) to ${name}:\n${applied.map((v) => `  ${v}\n`).join("")}`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
