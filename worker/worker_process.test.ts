/**
 * The worker as a process, on each runtime we claim. Under Deno (`worker/main.deno.ts`, as `deno task worker`
 * runs it): a job succeeds, and SIGTERM drains a running job, deregisters and exits 0. Under Node
 * (`worker/main.node.ts`): `--once` runs one job and exits 0; a refused token exits 1; a missing setting exits
 * 2 with one line on stderr.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import { startWorkerChild, type WorkerChild } from "./testing/worker_child.ts";
import { final, startWorkerStack, type WorkerStack } from "./testing/worker_stack.ts";

let stack: WorkerStack;
let sim: ComfyuiSim;
const children: WorkerChild[] = [];

before(async () => {
  stack = await startWorkerStack();
  sim = await stack.sim({ stepMs: 10 });
});
after(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await stack.close();
});

async function workerEnv(realtime: boolean): Promise<Record<string, string>> {
  return {
    KILN_URL: `${stack.h.target.url}/functions/v1`,
    KILN_WORKER_TOKEN: await stack.workerToken(),
    COMFYUI_URL: sim.url,
    KILN_POLL_INTERVAL_MS: "250",
    ...(realtime ? { SUPABASE_URL: stack.h.target.url, SUPABASE_ANON_KEY: stack.h.target.anonKey } : {}),
  };
}

function child(runtime: "deno" | "node", env: Record<string, string>, args: string[] = []): WorkerChild {
  const c = startWorkerChild(runtime, env, args);
  children.push(c);
  return c;
}

describe("the worker process", { timeout: 60_000 }, () => {
  test("under Deno: runs a job, then SIGTERM drains the running one, deregisters and exits 0", async () => {
    const deno = child("deno", await workerEnv(true));
    await deno.line(/realtime subscribed to kiln:queue/, 45_000);
    const first = await stack.createJob({
      type: "txt2img",
      params: { prompt: "deno", width: 64, height: 64, steps: 3 },
    });
    assert.equal((await stack.waitFor(first, final)).status, "succeeded");

    const second = await stack.createJob({
      type: "txt2img",
      params: { prompt: "drain", width: 64, height: 64, steps: 50 },
    });
    await deno.line(new RegExp(`job ${second} executing`));
    deno.signal("SIGTERM");
    assert.equal(await deno.exited, 0, deno.lines.join("\n"));
    assert.equal((await stack.job(second)).status, "succeeded");
    assert.ok(deno.lines.some((l) => /job \S+ succeeded/.test(l) && l.includes(second)));
    assert.ok(deno.lines.some((l) => l.includes("deregistered")));
    assert.ok(deno.lines.some((l) => l.includes("kiln worker starting on deno")));
  });

  test("under Node, --once (long-poll claims, no Realtime): one job, then exit 0", async () => {
    const node = child("node", await workerEnv(false), ["--once"]);
    await node.line(/registered as/);
    const id = await stack.createJob({ type: "txt2img", params: { prompt: "once", width: 64, height: 64, steps: 2 } });
    assert.equal(await node.exited, 0, node.lines.join("\n"));
    assert.equal((await stack.job(id)).status, "succeeded");
  });

  test("a refused token exits 1; a missing setting exits 2 with one line on stderr", async () => {
    const env = await workerEnv(false);
    const refused = child("node", { ...env, KILN_WORKER_TOKEN: `kiln_wk_${"x".repeat(52)}` });
    assert.equal(await refused.exited, 1, refused.lines.join("\n"));
    assert.ok(
      refused.lines.some((l) => /could not register.*worker_unauthorized/.test(l)),
      refused.lines.join("\n"),
    );

    const { KILN_URL: _, ...withoutUrl } = env;
    const missing = child("node", withoutUrl);
    assert.equal(await missing.exited, 2);
    assert.deepEqual(missing.lines.filter(Boolean), [
      "kiln worker: KILN_URL (the functions base, e.g. http://127.0.0.1:54321/functions/v1) is required",
    ]);
  });
});
