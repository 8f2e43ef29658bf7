/**
 * `npm start` as a newcomer runs it: a real process on a free port with a data folder of its own (and the test
 * database where there is a server), whose banner names the dashboard and the demo admin, whose demo job goes
 * through ("It worked."), whose /dashboard/ is the built site with a config.json for this stack, and which stops
 * cleanly on Ctrl-C (SIGINT), releasing its folder.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DATA_DIR_LOCK } from "./local/data_dir_lock.ts";
import { eventually } from "./testing/eventually.ts";
import { createTestDatabase, type TestDatabase, testServerUrl } from "./testing/test_database.ts";

/** A port free now whose next one is free too (the embedded database is served on port + 1). */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => {
        const taken = (server.address() as { port: number }).port;
        server.close(() => resolve(taken));
      });
    });
  for (;;) {
    const port = await listen(0);
    if (port && port < 65535 && (await listen(port + 1))) return port;
  }
}

describe("npm start", { timeout: 240_000 }, () => {
  let child: ChildProcess | undefined;
  let database: TestDatabase | undefined;
  let dataDir: string;
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child?.once("exit", resolve));
    }
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the banner with the dashboard, runs the demo job, serves the dashboard, and stops on Ctrl-C", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "kiln-start-"));
    const port = await freePortPair();
    const args = ["--import", "tsx", "scripts/start.ts", "--port", String(port), "--data", dataDir];
    // On a server, a test database; else the embedded one in the data folder, as a newcomer gets.
    if (testServerUrl()) {
      database = await createTestDatabase();
      args.push("--db", database.url as string);
    }
    const env = { ...process.env };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, args, { cwd: new URL("..", import.meta.url).pathname, env, stdio: "pipe" });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const running = () => child?.exitCode === null || assert.fail(`npm start exited:\n${output}`);
    await eventually(() => running() && output.includes("It worked."), "the demo's first job", 180_000);

    const base = `http://127.0.0.1:${port}`;
    assert.match(output, new RegExp(`^ {2}Dashboard {6}${base}/dashboard/$`, "m"));
    assert.match(output, /^ {2}Demo {11}demo@kiln\.local \/ kiln-demo-password \(an admin\)/m);
    const page = await fetch(`${base}/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /<div id="app">/);
    const config = await (await fetch(`${base}/dashboard/config.json`)).json();
    assert.deepEqual(Object.keys(config).sort(), ["anonKey", "apiUrl", "supabaseUrl"]);
    assert.equal(config.apiUrl, `${base}/functions/v1/api`);

    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child?.once("exit", resolve));
    assert.equal(code, 0, output.slice(-2000));
    assert.equal(existsSync(join(dataDir, DATA_DIR_LOCK)), false, "the data folder is released");
  });
});
