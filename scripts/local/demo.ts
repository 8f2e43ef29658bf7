/**
 * The demo `npm start` runs beside the stack, so a newcomer sees a job go through at once: a demo account
 * (signed up through the local Auth, and an admin), an API key and a worker token for it, the ComfyUI simulator (or a real
 * ComfyUI at COMFYUI_URL), and a worker claiming from the workers function. The secrets are shown once by the
 * API; the demo keeps them in <data>/demo.json (a local development folder) so every start can print them.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import postgres from "postgres";
import WebSocket from "ws";
import { newWorkerToken, workerTokenPrefix } from "../../supabase/functions/_shared/auth/worker_tokens.ts";
import { apiKeyPrefix, newApiKey } from "../../supabase/functions/api/auth/api_keys.ts";
import { loadConfig } from "../../worker/config.ts";
import { createLogger } from "../../worker/log.ts";
import { pinnedGet } from "../../worker/pinned_get.node.ts";
import type { Worker } from "../../worker/worker.ts";
import { newWorker } from "../../worker/worker_process.ts";
import { setRole } from "../cli/admin_role.ts";
import { type ComfyuiSim, startComfyuiSim } from "../comfyui_sim/sim.ts";
import type { Stack } from "./stack.ts";

export const DEMO_EMAIL = "demo@kiln.local";
export const DEMO_PASSWORD = "kiln-demo-password";

export interface DemoSecrets {
  api_key: string;
  worker_token: string;
}

export interface Demo {
  secrets: DemoSecrets;
  /** Where jobs run: the simulator's URL, or the real ComfyUI's. */
  comfyuiUrl: string;
  simulated: boolean;
  worker: Worker;
  stop(): Promise<void>;
}

/** The demo user's id, signing them up on first start. */
async function demoUser(stack: Stack, sql: postgres.Sql): Promise<string> {
  const [found] = await sql<{ id: string }[]>`select id from auth.users where email = ${DEMO_EMAIL}`;
  if (found) return found.id;
  const response = await fetch(`${stack.url}/auth/v1/signup`, {
    method: "POST",
    headers: { apikey: stack.keys.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  if (!response.ok) throw new Error(`demo sign-up failed: ${response.status} ${await response.text()}`);
  const [created] = await sql<{ id: string }[]>`select id from auth.users where email = ${DEMO_EMAIL}`;
  return created.id;
}

/** A fresh access token of the demo user (password sign-in), so the client follows its jobs over Realtime. */
export async function demoAccessToken(stack: Stack): Promise<string> {
  const response = await fetch(`${stack.url}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: stack.keys.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ email: DEMO_EMAIL, password: DEMO_PASSWORD }),
  });
  if (!response.ok) throw new Error(`demo sign-in failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The secrets in demo.json while their rows still exist (not revoked); else new ones. */
async function demoSecrets(stack: Stack, sql: postgres.Sql, userId: string): Promise<DemoSecrets> {
  const file = join(stack.dataDir, "demo.json");
  const saved = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as DemoSecrets,
    () => undefined,
  );
  if (saved && (await stillValid(sql, saved))) return saved;
  const api = newApiKey();
  await sql`insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes)
            values (${userId}, 'demo', ${api.prefix}, ${api.hash},
                    ${["jobs:read", "jobs:write", "account:read", "keys:manage", "webhooks:manage"]})`;
  const worker = newWorkerToken();
  await sql`insert into public.workers (name, token_prefix, token_hash, job_types, created_by)
            values ('demo worker', ${worker.prefix}, ${worker.hash}, ${["txt2img", "img2img", "upscale", "workflow"]},
                    ${userId})`;
  const secrets = { api_key: api.key, worker_token: worker.token };
  // With DATABASE_URL nothing else may have made the data folder yet.
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** Whether the saved key and token still have live rows (a reset database, or a revocation, forgets them). */
async function stillValid(sql: postgres.Sql, saved: DemoSecrets): Promise<boolean> {
  const [row] = await sql<{ valid: boolean }[]>`
    select exists (select 1 from public.api_keys where prefix = ${apiKeyPrefix(saved.api_key)} and revoked_at is null)
       and exists (select 1 from public.workers
                    where token_prefix = ${workerTokenPrefix(saved.worker_token)} and revoked_at is null) as valid`;
  return row.valid;
}

/** Starts the demo on a running stack; `write` prints the worker's log lines. */
export async function startDemo(
  stack: Stack,
  options: { comfyuiUrl?: string; write: (line: string) => void },
): Promise<Demo> {
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  let secrets: DemoSecrets;
  try {
    const userId = await demoUser(stack, sql);
    // The demo account runs the dashboard's Admin pages too (audited once, when it becomes an admin).
    await setRole(sql, DEMO_EMAIL, "admin", "npm start demo");
    secrets = await demoSecrets(stack, sql, userId);
  } finally {
    await sql.end();
  }
  let sim: ComfyuiSim | undefined;
  if (!options.comfyuiUrl) sim = await startComfyuiSim({ port: 0, stepMs: 40 });
  const comfyuiUrl = options.comfyuiUrl ?? (sim as ComfyuiSim).url;
  const config = loadConfig(
    {
      KILN_URL: `${stack.url}/functions/v1`,
      KILN_WORKER_TOKEN: secrets.worker_token,
      SUPABASE_URL: stack.url,
      SUPABASE_ANON_KEY: stack.keys.anonKey,
      COMFYUI_URL: comfyuiUrl,
      KILN_SHUTDOWN_GRACE_MS: "5000",
    },
    [],
  );
  const log = createLogger("text", (line) => options.write(`[worker] ${line}`));
  const worker = newWorker(config, { httpGet: pinnedGet, WebSocket, log, runtime: `node ${process.versions.node}` });
  worker.start().catch((error) => options.write(`[worker] could not start: ${error}`));
  return {
    secrets,
    comfyuiUrl,
    simulated: sim !== undefined,
    worker,
    stop: async () => {
      await worker.stop();
      await sim?.close();
    },
  };
}
