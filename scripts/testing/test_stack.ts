/**
 * Stacks for tests that drive Kiln through the official clients. The local stack runs in-process on a free
 * port, on a database of its own (a clone on the PostgreSQL server, or an in-memory PGlite). Setting
 * KILN_SUPABASE_URL, KILN_SUPABASE_ANON_KEY, KILN_SUPABASE_SERVICE_ROLE_KEY and KILN_SUPABASE_DB_URL (the values
 * `supabase status` prints) runs the same suites against a real `supabase start` stack as well.
 */

import { type StackOptions, startStack } from "../local/stack.ts";
import { fixedResolver, publicTestNames } from "./fixed_resolver.ts";
import { createTestDatabase, testServerUrl } from "./test_database.ts";

export interface StackTarget {
  /** "local" or "supabase". */
  name: string;
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl: string;
  /** SUPABASE_DB_URL for functions a test starts itself (as the functions' role; `postgres` on a real stack). */
  functionsDbUrl: string;
  /** Restarts the gateway on the same port and data (local only): for reconnect tests. */
  restart?: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local stack, started for one test file; `options` adds settings or environment for the functions, a
 * resolver for the webhook SSRF checks, or a database of the test's own (`databaseUrl`: the chaos suite's cluster).
 */
export async function startLocalTarget(
  options: Pick<StackOptions, "functionEnv" | "resolver" | "settings" | "databaseUrl"> = {},
): Promise<StackTarget> {
  const db = !options.databaseUrl && testServerUrl() ? await createTestDatabase() : undefined;
  // No dispatch loop (nor kicks): its sweeps and sends would change rows under the suites' feet; dispatch tests
  // run their own.
  // Settings from the test's own options only, never from the shell that runs the tests.
  const stack = await startStack({
    port: 0,
    databaseUrl: db?.url,
    quiet: true,
    dispatchLoop: false,
    settings: {},
    // No system DNS in tests: the public names requests use answer from a table.
    resolver: fixedResolver(publicTestNames()),
    ...options,
  });
  return {
    name: "local",
    url: stack.url,
    anonKey: stack.keys.anonKey,
    serviceRoleKey: stack.keys.serviceRoleKey,
    dbUrl: stack.dbUrl,
    functionsDbUrl: stack.functionsDbUrl,
    restart: () => stack.restartGateway(),
    stop: async () => {
      await stack.stop();
      await db?.drop();
    },
  };
}

/** A real `supabase start` stack named by the environment, or undefined. */
export function supabaseTarget(): StackTarget | undefined {
  const e = process.env;
  if (!e.KILN_SUPABASE_URL || !e.KILN_SUPABASE_ANON_KEY || !e.KILN_SUPABASE_SERVICE_ROLE_KEY || !e.KILN_SUPABASE_DB_URL)
    return undefined;
  return {
    name: "supabase",
    url: e.KILN_SUPABASE_URL,
    anonKey: e.KILN_SUPABASE_ANON_KEY,
    serviceRoleKey: e.KILN_SUPABASE_SERVICE_ROLE_KEY,
    dbUrl: e.KILN_SUPABASE_DB_URL,
    functionsDbUrl: e.KILN_SUPABASE_DB_URL,
    stop: async () => {},
  };
}

/** The stacks a client suite runs on: the local one always, a real `supabase start` when the environment names one. */
export interface TargetCase {
  name: string;
  start: () => Promise<StackTarget>;
  /** Why the case is skipped, or false. */
  skip: string | false;
}

export function stackTargets(): TargetCase[] {
  const supabase = supabaseTarget();
  return [
    { name: "local", start: startLocalTarget, skip: false },
    {
      name: "supabase",
      start: async () => supabase as StackTarget,
      skip: supabase ? false : "KILN_SUPABASE_* not set",
    },
  ];
}
