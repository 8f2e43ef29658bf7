/**
 * The signed-in user the client follows jobs as over Realtime (an API key cannot join a private topic).
 * KILN_ACCESS_TOKEN wins when set (used as is, never refreshed). Otherwise `kiln login` signs in with supabase-js
 * auth and keeps the session in <config dir>/session.json (mode 0600), one per project URL, so a local and a
 * hosted project can both be signed in; a session close to expiry is refreshed and written back.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient, type Session, type SupabaseClient, type WebSocketLikeConstructor } from "@supabase/supabase-js";
import WebSocket from "ws";
import { CliError, ConfigError } from "./cli_io.ts";
import type { CliConfig } from "./config.ts";

/** A user session as the client uses it. */
export interface UserSession {
  userId: string;
  email?: string;
  accessToken: string;
  /** Unix seconds; undefined when unknown (KILN_ACCESS_TOKEN). */
  expiresAt?: number;
  source: "KILN_ACCESS_TOKEN" | "kiln login";
  /** Gets a fresh access token (and stores it); absent when the session cannot be refreshed. */
  refresh?: () => Promise<UserSession>;
}

interface StoredSession {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  user: { id: string; email?: string };
}

type SessionFile = { sessions: Record<string, StoredSession> };

/** A session to use, or why there is none (undefined: none was set up). */
export interface SessionLookup {
  session?: UserSession;
  problem?: string;
}

/** Refresh when less than this is left, so a token never expires in the middle of a command. */
const REFRESH_MARGIN_S = 120;

const sessionPath = (config: CliConfig) => join(config.configDir, "session.json");

async function readSessions(config: CliConfig): Promise<SessionFile> {
  try {
    const parsed = JSON.parse(await readFile(sessionPath(config), "utf8")) as Partial<SessionFile>;
    return { sessions: parsed.sessions ?? {} };
  } catch {
    return { sessions: {} };
  }
}

async function writeSession(config: CliConfig, stored: StoredSession | undefined): Promise<void> {
  const file = await readSessions(config);
  if (stored) file.sessions[config.supabaseUrl] = stored;
  else delete file.sessions[config.supabaseUrl];
  await mkdir(config.configDir, { recursive: true, mode: 0o700 });
  const path = sessionPath(config);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/** A supabase-js client for the project: no session of its own (this module keeps it), `ws` for Realtime. */
export async function supabaseClient(config: CliConfig): Promise<SupabaseClient> {
  return createClient(config.supabaseUrl, await config.anonKey(), {
    // Node 20 has no global WebSocket; `ws` is what realtime-js takes there.
    realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

function toStored(session: Session): StoredSession {
  const expiresAt = session.expires_at ?? Math.floor(Date.now() / 1000) + session.expires_in;
  return {
    access_token: session.access_token,
    refresh_token: session.refresh_token,
    expires_at: expiresAt,
    user: { id: session.user.id, email: session.user.email },
  };
}

function fromStored(config: CliConfig, stored: StoredSession): UserSession {
  return {
    userId: stored.user.id,
    email: stored.user.email,
    accessToken: stored.access_token,
    expiresAt: stored.expires_at,
    source: "kiln login",
    refresh: () => refreshStored(config, stored),
  };
}

async function refreshStored(config: CliConfig, stored: StoredSession): Promise<UserSession> {
  const client = await supabaseClient(config);
  const { data, error } = await client.auth.refreshSession({ refresh_token: stored.refresh_token });
  if (error || !data.session) {
    throw new CliError(`the session could not be refreshed (${error?.message ?? "no session"})`);
  }
  const fresh = toStored(data.session);
  await writeSession(config, fresh);
  return fromStored(config, fresh);
}

/** Signs in with email and password and stores the session; returns it. */
export async function login(config: CliConfig, email: string, password: string): Promise<UserSession> {
  const client = await supabaseClient(config);
  const { data, error } = await client.auth.signInWithPassword({ email, password });
  if (error || !data.session) {
    throw new CliError(`sign-in at ${config.supabaseUrl} failed: ${error?.message ?? "no session was returned"}`);
  }
  const stored = toStored(data.session);
  await writeSession(config, stored);
  return fromStored(config, stored);
}

/**
 * Forgets the stored session of this project and, best effort, ends it at Auth too (its refresh token stops
 * working); true if there was one.
 */
export async function logout(config: CliConfig): Promise<boolean> {
  const stored = (await readSessions(config)).sessions[config.supabaseUrl];
  if (!stored) return false;
  await fetch(`${config.supabaseUrl}/auth/v1/logout`, {
    method: "POST",
    headers: { apikey: await config.anonKey(), authorization: `Bearer ${stored.access_token}` },
  }).catch(() => {});
  await writeSession(config, undefined);
  return true;
}

/** The `sub` of a JWT, read without verifying it (the server verifies it when it is used). */
function tokenSubject(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    if (typeof claims.sub === "string" && claims.sub) return claims.sub;
  } catch {}
  throw new ConfigError("KILN_ACCESS_TOKEN must be a user's access token (a JWT with a sub claim)");
}

/**
 * The session to follow jobs with: KILN_ACCESS_TOKEN, else the stored one (refreshed when near expiry), else
 * none. `problem` says why a stored session could not be used.
 */
export async function currentSession(config: CliConfig): Promise<SessionLookup> {
  if (config.accessToken) {
    return {
      session: {
        userId: tokenSubject(config.accessToken),
        accessToken: config.accessToken,
        source: "KILN_ACCESS_TOKEN",
      },
    };
  }
  const stored = (await readSessions(config)).sessions[config.supabaseUrl];
  if (!stored) return {};
  if (stored.expires_at - REFRESH_MARGIN_S > Date.now() / 1000) return { session: fromStored(config, stored) };
  try {
    return { session: await refreshStored(config, stored) };
  } catch (error) {
    return { problem: `${(error as Error).message}; run \`kiln login\` again` };
  }
}
