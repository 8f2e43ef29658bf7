/**
 * `npm test`: picks the database (DATABASE_URL, else the PostgreSQL on 127.0.0.1:5432 if it answers, else
 * an embedded PGlite; KILN_TEST_DATABASE=pglite forces it), says which, and runs every *.test.ts with Node's test runner:
 * each test bounded, each file ended when its tests are (naming what it left open), no connection off this machine.
 * Arguments narrow the run to files whose path contains one of them.
 */
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { redactUrl } from "./db/database.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const skipDirs = new Set(["node_modules", ".git", ".kiln"]);

async function testFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skipDirs.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await testFiles(path)));
    else if (entry.name.endsWith(".test.ts")) found.push(relative(root, path));
  }
  return found.sort();
}

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function chooseDatabase(): Promise<string> {
  if (process.env.KILN_TEST_DATABASE) return process.env.KILN_TEST_DATABASE;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const local = "postgres://postgres@127.0.0.1:5432/postgres";
  return (await reachable(local)) ? local : "pglite";
}

const database = await chooseDatabase();
console.log(
  database === "pglite"
    ? "Database: embedded PGlite (tests that need a PostgreSQL server are skipped)"
    : `Database: PostgreSQL at ${redactUrl(database)}`,
);
const filters = process.argv.slice(2);
const files = (await testFiles(root)).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    // No test sends a packet off this machine, even when the code under test is wrong.
    "--import",
    "./scripts/testing/network_guard.ts",
    // A file whose tests are done is ended, and what it left open is named, so `npm test` never hangs on it.
    "--import",
    "./scripts/testing/open_handles.ts",
    "--test",
    "--test-force-exit",
    // No single test may run longer than this, whatever it waits for.
    "--test-timeout=300000",
    "--test-concurrency=2",
    "--test-reporter=spec",
    ...files,
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, KILN_TEST_DATABASE: database } },
);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
