/**
 * `npm start`: runs the local stack — the embedded database (or DATABASE_URL / --db), migrated, and the gateway
 * on 127.0.0.1:54321 that serves auth, storage, realtime and the functions like `supabase start` — prints a
 * banner, and stops cleanly on Ctrl-C. The data under .kiln/ survives restarts; --reset wipes it.
 */
import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { DatabaseNewerThanCodeError } from "./db/migrate.ts";
import { type Stack, startStack } from "./local/stack.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    data: { type: "string", default: ".kiln" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "54321" },
    reset: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`usage: npm start [-- --port 54321] [--host 127.0.0.1] [--data .kiln] [--db <postgres url>] [--reset]`);
  process.exit(0);
}
const port = Number(values.port);
const databaseUrl = values.db ?? process.env.DATABASE_URL;
const dataDir = values.data as string;
if (values.reset) {
  await rm(dataDir, { recursive: true, force: true });
  console.log(`Reset: removed ${dataDir}/`);
}

let stack: Stack;
try {
  stack = await startStack({ host: values.host, port, dataDir, databaseUrl, dbPort: port + 1 });
} catch (error) {
  const message = error instanceof DatabaseNewerThanCodeError || error instanceof Error ? error.message : String(error);
  console.error(`Kiln could not start: ${message}`);
  process.exit(2);
}

const ws = stack.url.replace(/^http/, "ws");
console.log(`
Kiln is running.

  API URL        ${stack.url}
  Functions      ${stack.url}/functions/v1/api   (try ${stack.url}/functions/v1/api/health)
  Auth           ${stack.url}/auth/v1
  Realtime       ${ws}/realtime/v1/websocket
  Storage        ${stack.url}/storage/v1
  Database       ${stack.databaseLabel}${databaseUrl ? "" : `, served at ${stack.dbUrl}`}
  Migrations     ${stack.applied.length > 0 ? `applied ${stack.applied.length} now` : "up to date"}

  anon key       ${stack.keys.anonKey}
  service_role   ${stack.keys.serviceRoleKey}

  Data lives in ${dataDir}/ and is kept for the next start (npm start -- --reset wipes it).
  Press Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log("\nStopping Kiln…");
    stack.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`Stopped with an error: ${error}`);
        process.exit(1);
      },
    );
  });
}
