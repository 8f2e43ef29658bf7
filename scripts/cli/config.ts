/**
 * The client's settings, all from the environment, with defaults that reach the local stack `npm start` runs:
 * KILN_API_URL (the api function), KILN_API_KEY (needed by every API call), SUPABASE_URL and SUPABASE_ANON_KEY
 * (sign-in and Realtime), KILN_ACCESS_TOKEN (a user session given directly) and KILN_CONFIG_DIR (where
 * `kiln login` keeps its session; default $XDG_CONFIG_HOME/kiln or ~/.config/kiln).
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { createJwtKeys } from "../local/jwt_keys.ts";
import { type CliIo, ConfigError } from "./cli_io.ts";

export const LOCAL_SUPABASE_URL = "http://127.0.0.1:54321";
export const LOCAL_API_URL = `${LOCAL_SUPABASE_URL}/functions/v1/api`;

export interface CliConfig {
  /** The api function's base URL, without a trailing slash; routes are `${apiUrl}/v1/…`. */
  apiUrl: string;
  apiKey: string | undefined;
  supabaseUrl: string;
  /** SUPABASE_ANON_KEY, or the local stack's anon key (the same JWT `supabase start` hands out). */
  anonKey: () => Promise<string>;
  /** A user access token given in the environment: used for Realtime instead of the stored session. */
  accessToken: string | undefined;
  /** Where `kiln login` keeps session.json. */
  configDir: string;
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");

function checkUrl(name: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError(`${name} must be an http(s) URL, not ${JSON.stringify(value)}`);
  }
  return trimSlash(value);
}

/** Reads the settings from `io.env`; a malformed URL is a usage error. */
export function readConfig(io: CliIo): CliConfig {
  const env = io.env;
  const apiUrl = checkUrl("KILN_API_URL", env.KILN_API_URL || LOCAL_API_URL);
  // A project's functions live at <project URL>/functions/v1/<name>: the project URL follows from the API's.
  const derived = apiUrl.match(/^(.*)\/functions\/v1\/[^/]+$/)?.[1];
  const supabaseUrl = checkUrl("SUPABASE_URL", env.SUPABASE_URL || derived || LOCAL_SUPABASE_URL);
  const anonKey = env.SUPABASE_ANON_KEY;
  const home = env.HOME || homedir();
  return {
    apiUrl,
    apiKey: env.KILN_API_KEY || undefined,
    supabaseUrl,
    anonKey: async () => anonKey || (await createJwtKeys(supabaseUrl)).anonKey,
    accessToken: env.KILN_ACCESS_TOKEN || undefined,
    configDir: env.KILN_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(home, ".config"), "kiln"),
  };
}

/** The API key, or a usage error that says how to get one. */
export function requireApiKey(config: CliConfig): string {
  if (config.apiKey) return config.apiKey;
  throw new ConfigError(
    "KILN_API_KEY is not set. Create a key with scopes jobs:read and jobs:write through POST " +
      `${config.apiUrl}/v1/keys with a signed-in user's token (see the README's curl example; the anon key ` +
      "is in the `npm start` banner), then: export KILN_API_KEY=kiln_sk_…",
  );
}
