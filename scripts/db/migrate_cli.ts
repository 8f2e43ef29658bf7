/**
 * `npm run db:migrate [-- --db <url> | --data <folder>]`: applies the platform shim and the migrations to
 * DATABASE_URL (or --db), else to the embedded PGlite under the data folder, and says what it did.
 */
import { parseLocalArgs } from "./cli_args.ts";
import { openLocalDatabase } from "./database.ts";
import { DatabaseNewerThanCodeError, migrate } from "./migrate.ts";

const args = parseLocalArgs();
const db = await openLocalDatabase(args);
try {
  const applied = await migrate(db);
  console.log(
    applied.length > 0
      ? `Applied ${applied.length} migration(s) to ${db.label}: ${applied.join(", ")}`
      : `${db.label} is up to date.`,
  );
} catch (error) {
  if (!(error instanceof DatabaseNewerThanCodeError)) throw error;
  console.error(`Refused: ${error.message}`);
  process.exitCode = 2;
} finally {
  await db.close();
}
