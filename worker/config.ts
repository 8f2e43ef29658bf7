/**
 * The worker's configuration, from the environment and command-line flags (a flag wins over its variable),
 * validated with zod. A missing or malformed setting is a `ConfigError` whose message is one line saying which
 * setting and what is expected; the entry point prints it and exits with code 2. `redactedConfig` is what the
 * worker prints at start: secrets shortened to their public prefix.
 */
import { z } from "zod";
import { parseHostList } from "../shared/net/url_policy.ts";

/** The built-in job types (shared/comfyui/build_graph.ts); a stored workflow may have a job type of its own. */
export const SUPPORTED_JOB_TYPES = ["txt2img", "img2img", "upscale", "workflow"] as const;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const httpUrl = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      error: (i) => `${name} must be an http(s) URL, got ${JSON.stringify(i.input)}`,
    })
    .transform((v) => v.replace(/\/+$/, ""));

const intMs = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number of milliseconds` })
    .int({ error: `${name} must be a whole number of milliseconds` })
    .min(min, { error: `${name} must be at least ${min} ms` })
    .max(max, { error: `${name} must be at most ${max} ms` });

const Settings = z
  .object({
    KILN_URL: httpUrl("KILN_URL (the functions base, e.g. http://127.0.0.1:54321/functions/v1)"),
    KILN_WORKER_TOKEN: z
      .string({ error: "KILN_WORKER_TOKEN is required (an administrator creates one: POST /v1/admin/workers)" })
      .trim()
      .regex(/^kiln_wk_[A-Za-z0-9]{8,}$/, { error: "KILN_WORKER_TOKEN must be a worker token (kiln_wk_…)" }),
    SUPABASE_URL: httpUrl("SUPABASE_URL").optional(),
    SUPABASE_ANON_KEY: z.string().trim().min(1).optional(),
    COMFYUI_URL: z
      .string()
      .default("http://127.0.0.1:8188")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(httpUrl("each COMFYUI_URL entry")).min(1, { error: "COMFYUI_URL names no ComfyUI" }).max(64)),
    KILN_JOB_TYPES: z
      .string()
      .default(SUPPORTED_JOB_TYPES.join(","))
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, {
              error: (i) =>
                `KILN_JOB_TYPES: ${JSON.stringify(i.input)} is not a job type (built in: ${SUPPORTED_JOB_TYPES.join(", ")}; ` +
                "a stored workflow may name its own)",
            }),
          )
          .min(1, { error: "KILN_JOB_TYPES names no job type" }),
      ),
    KILN_POLL_INTERVAL_MS: intMs("KILN_POLL_INTERVAL_MS", 50, 600_000).default(5000),
    KILN_SHUTDOWN_GRACE_MS: intMs("KILN_SHUTDOWN_GRACE_MS", 0, 3_600_000).default(30_000),
    KILN_DEFAULT_CHECKPOINT: z.string().trim().min(1).max(200).optional(),
    KILN_LOG_FORMAT: z.enum(["text", "json"], { error: "KILN_LOG_FORMAT must be text or json" }).default("text"),
    KILN_INPUT_PRIVATE_ALLOW: z.string().trim().optional(),
    KILN_COMFYUI_INPUT_DIR: z.string().trim().min(1).optional(),
    KILN_PREFETCH: z
      .enum(["0", "1"], { error: "KILN_PREFETCH must be 1 (claim each slot's next job ahead) or 0" })
      .default("1"),
  })
  .refine((s) => (s.SUPABASE_URL === undefined) === (s.SUPABASE_ANON_KEY === undefined), {
    error: "SUPABASE_URL and SUPABASE_ANON_KEY go together (set both for Realtime wake-ups, or neither to poll)",
  });

export interface WorkerConfig {
  kilnUrl: string;
  workerToken: string;
  /** Realtime wake-ups; undefined: poll (long-poll claims) only. */
  realtime?: { url: string; anonKey: string };
  /** One slot per ComfyUI instance. */
  comfyuiUrls: string[];
  jobTypes: string[];
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** The checkpoint of jobs that name none; else the first one the ComfyUI instance lists. */
  defaultCheckpoint?: string;
  logFormat: "text" | "json";
  /** Run one job, then exit. */
  once: boolean;
  /** Claim each slot's next job while the current one runs, queued in ComfyUI behind it. */
  prefetch: boolean;
  /** Hosts input image URLs may name although they resolve to private addresses (KILN_INPUT_PRIVATE_ALLOW). */
  inputPrivateAllow: string[];
  /** ComfyUI's input folder, where the worker shares its filesystem: uploads are removed once unused. */
  comfyuiInputDir?: string;
}

/** Flag → the variable it overrides. Boolean flags are listed apart. */
const FLAGS: Record<string, string> = {
  "--url": "KILN_URL",
  "--token": "KILN_WORKER_TOKEN",
  "--comfyui": "COMFYUI_URL",
  "--job-types": "KILN_JOB_TYPES",
  "--poll-interval-ms": "KILN_POLL_INTERVAL_MS",
  "--grace-ms": "KILN_SHUTDOWN_GRACE_MS",
  "--default-checkpoint": "KILN_DEFAULT_CHECKPOINT",
  "--log-format": "KILN_LOG_FORMAT",
};

export const USAGE =
  "usage: worker [--once] [--comfyui <url,url…>] [--job-types <a,b>] [--poll-interval-ms <n>] [--grace-ms <n>]\n" +
  "              [--url <functions base>] [--token <kiln_wk_…>] [--default-checkpoint <name>] [--log-format text|json]\n" +
  "env: KILN_URL, KILN_WORKER_TOKEN, SUPABASE_URL + SUPABASE_ANON_KEY (Realtime), COMFYUI_URL, KILN_JOB_TYPES,\n" +
  "     KILN_POLL_INTERVAL_MS, KILN_SHUTDOWN_GRACE_MS, KILN_DEFAULT_CHECKPOINT, KILN_LOG_FORMAT,\n" +
  "     KILN_INPUT_PRIVATE_ALLOW (hosts input URLs may name on private addresses),\n" +
  "     KILN_COMFYUI_INPUT_DIR (ComfyUI's input folder, if shared: uploads are removed after use),\n" +
  "     KILN_PREFETCH (1: claim each slot's next job while the current one runs, the default; 0: when free)";

/** The configuration from `env` and `args` (argv after the script); throws ConfigError on the first problem. */
export function loadConfig(env: Record<string, string | undefined>, args: readonly string[]): WorkerConfig {
  const values: Record<string, string | undefined> = {};
  for (const key of [
    ...Object.values(FLAGS),
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "KILN_INPUT_PRIVATE_ALLOW",
    "KILN_COMFYUI_INPUT_DIR",
    "KILN_PREFETCH",
  ]) {
    const value = env[key];
    values[key] = value === undefined || value.trim() === "" ? undefined : value;
  }
  let once = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === "--once") {
      once = true;
      continue;
    }
    const key = FLAGS[flag];
    if (!key) throw new ConfigError(`unknown argument ${JSON.stringify(args[i])}; ${USAGE.split("\n")[0]}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    values[key] = value;
  }
  const parsed = Settings.safeParse(values);
  if (!parsed.success) throw new ConfigError(parsed.error.issues[0]?.message ?? "invalid configuration");
  const s = parsed.data;
  return {
    kilnUrl: s.KILN_URL,
    workerToken: s.KILN_WORKER_TOKEN,
    ...(s.SUPABASE_URL && s.SUPABASE_ANON_KEY
      ? { realtime: { url: s.SUPABASE_URL, anonKey: s.SUPABASE_ANON_KEY } }
      : {}),
    comfyuiUrls: s.COMFYUI_URL,
    jobTypes: [...new Set(s.KILN_JOB_TYPES)],
    pollIntervalMs: s.KILN_POLL_INTERVAL_MS,
    shutdownGraceMs: s.KILN_SHUTDOWN_GRACE_MS,
    ...(s.KILN_DEFAULT_CHECKPOINT ? { defaultCheckpoint: s.KILN_DEFAULT_CHECKPOINT } : {}),
    logFormat: s.KILN_LOG_FORMAT,
    once,
    prefetch: s.KILN_PREFETCH === "1",
    inputPrivateAllow: parseHostList(s.KILN_INPUT_PRIVATE_ALLOW),
    ...(s.KILN_COMFYUI_INPUT_DIR ? { comfyuiInputDir: s.KILN_COMFYUI_INPUT_DIR } : {}),
  };
}

/** A URL without credentials, query or fragment. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
}

/** The configuration as printed at start: the token as its public prefix, the anon key shortened. */
export function redactedConfig(config: WorkerConfig): Record<string, unknown> {
  return {
    ...config,
    kilnUrl: redactUrl(config.kilnUrl),
    workerToken: `${config.workerToken.slice(0, 20)}…`,
    realtime: config.realtime
      ? { url: redactUrl(config.realtime.url), anonKey: `${config.realtime.anonKey.slice(0, 8)}…` }
      : "off (long-poll claims)",
    comfyuiUrls: config.comfyuiUrls.map(redactUrl),
  };
}
