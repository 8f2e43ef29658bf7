/**
 * `npm start`: for now, prepares the local database — the embedded PGlite under .kiln/ (or DATABASE_URL /
 * --db) — with the platform shim and every migration, and says what it did. The local stack (gateway,
 * worker, ComfyUI simulator) will run from here.
 */
import { rm } from "node:fs/promises";
import { parseLocalArgs } from "./db/cli_args.ts";
import { openLocalDatabase } from "./db/database.ts";
import { DatabaseNewerThanCodeError, migrate, readMigrations } from "./db/migrate.ts";

const args = parseLocalArgs();
if (args.reset && !args.url && !process.env.DATABASE_URL) {
  await rm(args.dataDir, { recursive: true, force: true });
  console.log(`Reset: removed ${args.dataDir}`);
}
const db = await openLocalDatabase(args);
try {
  const applied = await migrate(db);
  const total = (await readMigrations()).length;
  const [{ jobs }] = await db.query<{ jobs: number }>("select count(*)::int as jobs from public.jobs");
  console.log(`Kiln database: ${db.label}`);
  console.log(
    applied.length > 0
      ? `  applied ${applied.length} of ${total} migrations (${applied[0]} … ${applied.at(-1)})`
      : `  all ${total} migrations were already applied`,
  );
  console.log(
    `  ${jobs} job(s) stored. Run \`npm run db:migrate\` to migrate again, \`npm start -- --reset\` to wipe.`,
  );
} catch (error) {
  if (!(error instanceof DatabaseNewerThanCodeError)) throw error;
  console.error(`Refused: ${error.message}`);
  process.exitCode = 2;
} finally {
  await db.close();
}
