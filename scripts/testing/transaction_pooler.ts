/**
 * A real transaction-mode pooler for tests: Debian's PgBouncer (`pool_mode = transaction`, as Supavisor on port
 * 6543 runs hosted projects' pooled connections) in front of the test PostgreSQL server, on a free loopback port.
 * Behind it a session lasts one transaction: no prepared statements across statements, no LISTEN that outlives it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { FUNCTIONS_ROLE } from "../db/migrate.ts";

const BINARY = "/usr/sbin/pgbouncer";

/** Why the pooler cannot run here (no PgBouncer installed, no PostgreSQL server), or false. */
export function poolerUnavailable(serverUrl: string | undefined): string | false {
  if (!serverUrl) return "needs a PostgreSQL server behind the pooler";
  if (spawnSync(BINARY, ["--version"]).status !== 0) return "PgBouncer is not installed (apt-get install pgbouncer)";
  return false;
}

export interface TransactionPooler {
  /** `databaseUrl` with its host and port replaced by the pooler's. */
  url(databaseUrl: string): string;
  stop(): Promise<void>;
}

/** Starts PgBouncer in front of the server of `serverUrl`; resolves once it answers a query. */
export async function startTransactionPooler(serverUrl: string): Promise<TransactionPooler> {
  const server = new URL(serverUrl);
  const port = await freePort();
  // PgBouncer refuses to run as root: it switches to the postgres user, which must read its files.
  const dir = mkdtempSync(join(tmpdir(), "kiln-pgbouncer-"));
  chmodSync(dir, 0o755);
  // Trust still needs each user named: the server's, and the functions' role.
  writeFileSync(
    join(dir, "users.txt"),
    `"${decodeURIComponent(server.username) || "postgres"}" ""\n"${FUNCTIONS_ROLE}" ""\n`,
  );
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = transaction",
      "default_pool_size = 4",
      "max_client_conn = 200",
      "ignore_startup_parameters = extra_float_digits,options",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    BINARY,
    [...(process.getuid?.() === 0 ? ["-u", "postgres"] : []), join(dir, "pgbouncer.ini")],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const url = (databaseUrl: string) => {
    const pooled = new URL(databaseUrl);
    pooled.hostname = "127.0.0.1";
    pooled.port = String(port);
    return pooled.href;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answers(url(serverUrl), () => child.exitCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`PgBouncer did not start (${String(error)}):\n${output}`);
  }
  return { url, stop };
}

/** Waits, up to 10 s, for a query through `url` to succeed. */
async function answers(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const sql = postgres(url, { max: 1, prepare: false, connect_timeout: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (exited() || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
