/**
 * The command-line client against the local stack, with a fake worker driving the lifecycle SQL (claim,
 * heartbeat, complete, fail, report canceled). Most cases run the client in-process (runCli / submitAndWait with
 * their own io); a few spawn `npx tsx scripts/cli/main.ts` for what only a process shows: exit codes and usage.
 * Happy path: progress over Realtime (signed in with `kiln login`, token refreshed) and by polling, outputs saved
 * with the right bytes. Errors: a failed job, a canceled one, API refusals, bad usage, no API key.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ApiHarness, startApiHarness, type TestUser } from "../../supabase/functions/api/testing/api_harness.ts";
import { TINY_PNG } from "../../supabase/functions/api/testing/job_fixtures.ts";
import { runCli } from "./run_cli.ts";
import { submitAndWait } from "./submit_job.ts";
import { cliEnv, memoryIo, spawnCli, uniquePng } from "./testing/cli_harness.ts";
import { FakeWorker, until } from "./testing/fake_worker.ts";

describe("kiln command-line client", { timeout: 30_000 }, () => {
  let h: ApiHarness;
  let worker: FakeWorker;
  let dir: string;
  let usageRuns: Promise<Awaited<ReturnType<typeof spawnCli>>[]>;

  before(async () => {
    // Processes that need no stack start now, so they run while it starts.
    usageRuns = Promise.all([spawnCli(["submit", "--width", "wide"], {}), spawnCli(["jobs"], { KILN_API_KEY: "" })]);
    h = await startApiHarness();
    worker = await FakeWorker.register(h.sql, h.target);
    dir = await mkdtemp(join(tmpdir(), "kiln-cli-"));
  });
  after(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const envFor = (user: TestUser, extra: Record<string, string> = {}) => cliEnv(h, user, dir, extra);

  /** The fake worker's side of a run: claim, two progress ticks (each waited for in the client's output), done. */
  async function runJob(user: TestUser, out: () => string, png: Uint8Array<ArrayBuffer>): Promise<void> {
    const job = await worker.claimFor(user.id);
    await worker.heartbeat(job, "executing", { value: 8, max: 20, percent: 40 });
    await until(() => out().includes("40%"), "the client to show 40%");
    await worker.heartbeat(job, "executing", { value: 16, max: 20, percent: 80, eta_ms: 2000 });
    await until(() => out().includes("80%"), "the client to show 80%");
    await worker.complete(job, png, { width: 1, height: 1 });
  }

  test("submit --wait follows progress over Realtime with a `kiln login` session, and saves the outputs", async () => {
    const email = `${randomBytes(6).toString("hex")}@cli.test`;
    const password = "correct horse battery";
    const signup = await fetch(`${h.target.url}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: h.target.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const { user: account } = await signup.json();
    const user = { id: account.id, email, token: "" };
    const env = await envFor(user);
    const login = memoryIo(env, dir);
    assert.equal(await runCli(["login", "--email", email, "--password", password], login.io), 0, login.err());
    assert.match(login.out(), new RegExp(`Signed in at .* as ${email}`));
    const sessionFile = join(env.KILN_CONFIG_DIR, "session.json");
    assert.equal((await stat(sessionFile)).mode & 0o777, 0o600);
    // Make the stored token look nearly expired: the client must refresh it (and store the new one) first.
    const stored = JSON.parse(await readFile(sessionFile, "utf8"));
    const before = stored.sessions[h.target.url];
    before.expires_at = Math.floor(Date.now() / 1000) + 5;
    await writeFile(sessionFile, JSON.stringify(stored));

    const { io, out, err } = memoryIo(env, dir);
    const png = uniquePng();
    const outDir = join(dir, "realtime-out");
    // No poll for a minute after the first read: 80% and the end can only arrive over Realtime.
    const options = { type: "txt2img", params: { prompt: "a kiln at dusk", width: 512, height: 512 } };
    const run = submitAndWait({ ...options, wait: true, outDir, backstopMs: 60_000 }, io);
    await runJob(user, out, png);
    const result = await run;
    assert.equal(result.exitCode, 0, err());
    assert.match(out(), new RegExp(`Following over Realtime as ${email}`));
    assert.match(out(), /running · executing 80% · step 16\/20 · ETA 2s/);
    assert.equal(result.saved.length, 1);
    assert.equal(result.saved[0].file, join(outDir, "out.png"));
    assert.deepEqual(new Uint8Array(await readFile(result.saved[0].file)), png);
    const after = JSON.parse(await readFile(sessionFile, "utf8")).sessions[h.target.url];
    assert.notEqual(after.refresh_token, before.refresh_token, "the session was refreshed and stored");
  });

  test("without a session, submit --wait polls every 500 ms and saves the outputs", async () => {
    const user = await h.user();
    const { io, out, err } = memoryIo(await envFor(user), dir);
    const png = uniquePng();
    const args = ["submit", "--prompt", "a kiln", "--width", "512", "--height", "512", "--seed", "7", "--wait"];
    const run = runCli([...args, "--out", "polled"], io);
    await runJob(user, out, png);
    assert.equal(await run, 0, err());
    assert.match(out(), /^Job [0-9a-f-]{36} queued \(txt2img, \d+ credits\)$/m);
    assert.match(out(), /Polling every 500 ms \(no user session/);
    assert.match(out(), /succeeded · in \d+s/);
    assert.match(out(), /Saved 1 output to polled:\n {2}polled\/out\.png {2}\(1×1 image\/png, \d+ B\)/);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "polled", "out.png"))), png);
  });

  test("Ctrl-C stops waiting (exit 130) and the job goes on; wait and outputs pick it up later", async () => {
    const user = await h.user();
    const env = await envFor(user);
    const controller = new AbortController();
    const first = memoryIo(env, dir);
    const run = runCli(["submit", "--prompt", "later", "--wait"], { ...first.io, signal: controller.signal });
    await until(() => first.out().includes("Polling every"), "the client to start polling");
    controller.abort();
    assert.equal(await run, 130);
    const id = first.out().match(/^Job (\S+) queued/)?.[1] ?? "";
    assert.match(
      first.err(),
      new RegExp(`Stopped waiting; job ${id} goes on\\. Follow it again with \`kiln wait ${id}\``),
    );

    const png = uniquePng();
    const job = await worker.claimFor(user.id);
    assert.equal(job.id, id);
    await worker.complete(job, png, { width: 1, height: 1 });
    const wait = memoryIo(env, dir);
    assert.equal(await runCli(["wait", id, "--out", "waited"], wait.io), 0, wait.err());
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "waited", "out.png"))), png);
    const outputs = memoryIo(env, dir);
    assert.equal(await runCli(["outputs", id, "--json"], outputs.io), 0, outputs.err());
    const file = join(dir, "kiln-outputs", id, "out.png");
    assert.deepEqual(JSON.parse(outputs.out()), { job_id: id, files: [file], missing: [] });
    assert.deepEqual(new Uint8Array(await readFile(file)), png);
  });

  test("a failed job prints its error and exits 3; a refused Realtime join falls back to polling (as a process)", async () => {
    const user = await h.user();
    const expired = await h.token(user.id, {}, -60);
    const run = spawnCli(
      ["submit", "--prompt", "a kiln", "--wait"],
      await envFor(user, { KILN_ACCESS_TOKEN: expired }),
    );
    const job = await worker.claimFor(user.id, 20_000);
    await worker.fail(job, {
      code: "comfyui_validation",
      message: "unknown checkpoint nope.safetensors",
      retryable: false,
    });
    const { code, stdout, stderr } = await run;
    assert.equal(code, 3, stderr);
    assert.match(stdout, /Realtime unavailable \(.+\); polling every 500 ms\./);
    assert.match(stderr, new RegExp(`Job ${job.id} failed: comfyui_validation: unknown checkpoint nope.safetensors`));
  });

  test("cancel: a queued job at once; a running one ends canceled and the waiting client exits 4", async () => {
    const user = await h.user();
    const env = await envFor(user, { KILN_ACCESS_TOKEN: (await h.user()).token });
    const submit = memoryIo(env, dir);
    const image = join(dir, "input.png");
    await writeFile(image, TINY_PNG);
    // img2img with a local file: uploaded through POST /v1/uploads, named upload:<id> in the params.
    const args = ["submit", "--type", "img2img", "--prompt", "in oils", "--image", "input.png", "--json"];
    assert.equal(await runCli(args, submit.io), 0, submit.err());
    const queued = JSON.parse(submit.out());
    assert.match(queued.params.image, /^upload:[0-9a-f-]{36}$/);
    const cancel = memoryIo(env, dir);
    assert.equal(await runCli(["cancel", queued.id], cancel.io), 0, cancel.err());
    assert.match(cancel.out(), new RegExp(`Job ${queued.id} canceled; ${queued.cost} credits refunded`));

    // KILN_ACCESS_TOKEN is another user's: Realtime joins but hears nothing of this job; the backstop poll ends it.
    const waiting = memoryIo(env, dir);
    const run = submitAndWait({ type: "txt2img", params: { prompt: "x" }, wait: true, backstopMs: 300 }, waiting.io);
    const job = await worker.claimFor(user.id);
    const stop = memoryIo(env, dir);
    assert.equal(await runCli(["cancel", job.id], stop.io), 0, stop.err());
    assert.match(stop.out(), /Cancel requested/);
    assert.equal(await worker.heartbeat(job, "executing"), true);
    await worker.reportCanceled(job);
    assert.equal((await run).exitCode, 4, waiting.err());
    assert.match(waiting.err(), new RegExp(`Job ${job.id} canceled`));
  });

  test("jobs lists the caller's jobs as a table, filtered by status; get shows one", async () => {
    const user = await h.user();
    const env = await envFor(user);
    const ids: string[] = [];
    for (const prompt of ["one", "two"]) {
      const { io, out } = memoryIo(env, dir);
      assert.equal(await runCli(["submit", "--prompt", prompt, "--no-wait", "--json"], io), 0);
      ids.push(JSON.parse(out()).id);
    }
    await runCli(["cancel", ids[0]], memoryIo(env, dir).io);
    const list = memoryIo(env, dir);
    assert.equal(await runCli(["jobs"], list.io), 0, list.err());
    const lines = list.out().trim().split("\n");
    assert.match(lines[0], /^ID\s+TYPE\s+STATUS\s+PROGRESS\s+COST\s+CREATED$/);
    assert.match(lines[1], new RegExp(`^${ids[1]}\\s+txt2img\\s+queued\\s+`));
    assert.match(lines[2], new RegExp(`^${ids[0]}\\s+txt2img\\s+canceled\\s+`));
    const queued = memoryIo(env, dir);
    assert.equal(await runCli(["jobs", "--status", "queued", "--limit", "1", "--json"], queued.io), 0);
    assert.deepEqual(
      JSON.parse(queued.out()).data.map((j: { id: string }) => j.id),
      [ids[1]],
    );
    const get = memoryIo(env, dir);
    assert.equal(await runCli(["get", ids[0], "--events"], get.io), 0, get.err());
    assert.match(get.out(), /status\s+canceled/);
    assert.match(get.out(), /job\.canceled/);
  });

  test("API refusals print the envelope's code, message and request id, and exit 1", async () => {
    const user = await h.user();
    const env = await envFor(user);
    const missing = memoryIo(env, dir);
    assert.equal(await runCli(["get", "0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11"], missing.io), 1);
    assert.match(
      missing.err(),
      /^error: not_found: No job 0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11\.\n {2}request id: \S+/,
    );
    const invalid = memoryIo(env, dir);
    assert.equal(await runCli(["submit", "--prompt", "x", "--width", "500", "--no-wait"], invalid.io), 1);
    assert.match(invalid.err(), /^error: validation_failed: params\.width: width must be a multiple of 8/);
    const badKey = memoryIo({ ...env, KILN_API_KEY: "kiln_sk_nope" }, dir);
    assert.equal(await runCli(["jobs"], badKey.io), 1);
    assert.match(badKey.err(), /^error: invalid_api_key: /);
  });

  test("bad usage exits 2 with one line; no API key says how to make one (as a process)", async () => {
    const [usage, noKey] = await usageRuns;
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, 'kiln submit: --width must be a number, not "wide" (see kiln submit --help)\n');
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /^kiln: KILN_API_KEY is not set\. Create a key .* POST \S+\/v1\/keys/);
    const help = memoryIo({}, dir);
    assert.equal(await runCli(["submit", "--help"], help.io), 0);
    assert.match(help.out(), /^Usage: kiln submit/);
    const none = memoryIo({}, dir);
    assert.equal(await runCli([], none.io), 2);
    assert.match(none.err(), /^Usage: npm run kiln -- <command>/);
  });
});
