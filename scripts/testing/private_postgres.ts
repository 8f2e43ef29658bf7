/**
 * A PostgreSQL cluster of a test's own, made with initdb and run with pg_ctl in a temporary folder on a free
 * port, so a test may restart or stop it (the chaos suite) without touching the machine's shared server. initdb
 * refuses to run as root, so as root the cluster belongs to the `postgres` user and its tools run as that user.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** pg_ctl restart -m fast: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The folder of initdb and pg_ctl, or undefined where PostgreSQL's server tools are not installed. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "pg_ctl")));
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL's server tools (initdb, pg_ctl) are not installed");
  const dir = await mkdtemp(join(tmpdir(), "kiln-pg-"));
  const asRoot = userInfo().uid === 0;
  if (asRoot)
    await chown(
      dir,
      Number((await run("id", ["-u", "postgres"])).stdout),
      Number((await run("id", ["-g", "postgres"])).stdout),
    );
  const tool = (name: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, name), ...args]) : run(join(bin, name), args);
  const data = join(dir, "data");
  await tool("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  const ctl = (...args: string[]) => tool("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", ...args]);
  await ctl("start");
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async () => void (await ctl("restart", "-m", "fast")),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctl("stop", "-m", "immediate").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
