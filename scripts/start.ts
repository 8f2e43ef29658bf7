/**
 * `npm start`: runs the local stack — the embedded database (or DATABASE_URL / --db), migrated, and the gateway
 * on 127.0.0.1:54321 that serves auth, storage, realtime and the functions like `supabase start` — prints a
 * banner, and stops cleanly on Ctrl-C. The data under .kiln/ survives restarts; --reset wipes it.
 * Beside it runs the demo (scripts/local/demo.ts): the ComfyUI simulator (or COMFYUI_URL / --comfyui), a worker,
 * and one job submitted through the command-line client's core, so the whole path is seen working at once.
 */

import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildDashboard, dashboardBuildIsCurrent } from "./build_dashboard.ts";
import { submitAndWait } from "./cli/submit_job.ts";
import { DatabaseNewerThanCodeError } from "./db/migrate.ts";
import { DATA_DIR_LOCK, DataDirLockedError, lockDataDir } from "./local/data_dir_lock.ts";
import { DEMO_EMAIL, DEMO_PASSWORD, type Demo, demoAccessToken, startDemo } from "./local/demo.ts";
import { type Stack, startStack } from "./local/stack.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    data: { type: "string", default: ".kiln" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "54321" },
    reset: { type: "boolean", default: false },
    comfyui: { type: "string" },
    "no-demo": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    "usage: npm start [-- --port 54321] [--host 127.0.0.1] [--data .kiln] [--db <postgres url>] [--reset]\n" +
      "                 [--comfyui <url> (a real ComfyUI instead of the simulator; or COMFYUI_URL)] [--no-demo]",
  );
  process.exit(0);
}
const port = Number(values.port);
const databaseUrl = values.db ?? process.env.DATABASE_URL;
const dataDir = values.data as string;
let releaseDataDir: () => Promise<void>;
try {
  releaseDataDir = await lockDataDir(dataDir);
} catch (error) {
  if (!(error instanceof DataDirLockedError)) throw error;
  console.error(`Kiln could not start: ${error.message}`);
  process.exit(2);
}
if (values.reset) {
  // Everything but the lock this start holds.
  for (const entry of await readdir(dataDir)) {
    if (entry !== DATA_DIR_LOCK) await rm(join(dataDir, entry), { recursive: true, force: true });
  }
  console.log(`Reset: emptied ${dataDir}/`);
}

// The dashboard the stack serves at /dashboard/ (dashboard/dist): built when missing or older than its sources.
if (!(await dashboardBuildIsCurrent())) {
  console.log("Building the dashboard (dashboard/dist)…");
  await buildDashboard();
}

let stack: Stack;
try {
  stack = await startStack({ host: values.host, port, dataDir, databaseUrl, dbPort: port + 1 });
} catch (error) {
  const message = error instanceof DatabaseNewerThanCodeError || error instanceof Error ? error.message : String(error);
  console.error(`Kiln could not start: ${message}`);
  await releaseDataDir();
  process.exit(2);
}

const ws = stack.url.replace(/^http/, "ws");
console.log(`
Kiln is running.

  API URL        ${stack.url}
  Functions      ${stack.url}/functions/v1/api   (try ${stack.url}/functions/v1/api/health)
                 ${stack.url}/functions/v1/workers   (the worker protocol)
  Auth           ${stack.url}/auth/v1
  Realtime       ${ws}/realtime/v1/websocket
  Storage        ${stack.url}/storage/v1
  Mail           ${stack.url}/mail/v1/messages   (what Auth sends: sign-in links, codes, invitations)
  Dashboard      ${stack.url}/dashboard/
  Database       ${stack.databaseLabel}${databaseUrl ? "" : `, served at ${stack.dbUrl}`}
  Migrations     ${stack.applied.length > 0 ? `applied ${stack.applied.length} now` : "up to date"}

  anon key       ${stack.keys.anonKey}
  service_role   ${stack.keys.serviceRoleKey}

  Data lives in ${dataDir}/ and is kept for the next start (npm start -- --reset wipes it).
  Press Ctrl-C to stop.
`);

let demo: Demo | undefined;
if (!values["no-demo"]) {
  demo = await startDemo(stack, {
    comfyuiUrl: values.comfyui ?? process.env.COMFYUI_URL,
    write: (line) => console.log(line),
  });
  const env = {
    KILN_API_URL: `${stack.url}/functions/v1/api`,
    KILN_API_KEY: demo.secrets.api_key,
    SUPABASE_URL: stack.url,
    SUPABASE_ANON_KEY: stack.keys.anonKey,
    KILN_ACCESS_TOKEN: await demoAccessToken(stack),
  };
  console.log(`  Demo           ${DEMO_EMAIL} / ${DEMO_PASSWORD} (an admin), a worker on ${demo.simulated ? "the ComfyUI simulator" : "ComfyUI"} at ${demo.comfyuiUrl}
  API key        ${demo.secrets.api_key}
  Worker token   ${demo.secrets.worker_token}

  A first job, through the command-line client:
`);
  const { exitCode } = await submitAndWait(
    {
      type: "txt2img",
      params: { prompt: "a wood-fired kiln at dusk, long exposure", width: 512, height: 512, steps: 12 },
      wait: true,
      outDir: `${dataDir}/demo-outputs/first-job`,
    },
    { stdout: process.stdout, stderr: process.stderr, env, cwd: process.cwd() },
  );
  console.log(`
  ${exitCode === 0 ? "It worked." : "The first job did not succeed; see above."} Try your own:

    KILN_API_KEY=${demo.secrets.api_key} npm run kiln -- submit --type txt2img --prompt "a red fox" --wait
    KILN_API_KEY=${demo.secrets.api_key} npm run kiln -- jobs
`);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log("\nStopping Kiln…");
    (demo?.stop() ?? Promise.resolve())
      .then(() => stack.stop())
      .then(() => releaseDataDir())
      .then(
        () => process.exit(0),
        (error) => {
          console.error(`Stopped with an error: ${error}`);
          process.exit(1);
        },
      );
  });
}
