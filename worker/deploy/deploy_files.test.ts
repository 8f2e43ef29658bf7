/** The service files a GPU box runs the worker with: the systemd unit passes `systemd-analyze verify`; the pm2 file loads. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const here = new URL(".", import.meta.url).pathname;
const hasSystemd = spawnSync("systemd-analyze", ["--version"]).status === 0;

describe("the worker's service files", () => {
  it("systemd: the unit verifies, drains on SIGTERM with room for the grace period, and does not restart on exit 2", {
    skip: hasSystemd ? false : "systemd-analyze is not installed",
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "kiln-unit-"));
    try {
      const unit = join(dir, "kiln-worker@ci.service");
      await copyFile(join(here, "kiln-worker@.service"), unit);
      const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(verify.stderr.trim(), "", "no warnings either");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const text = await readFile(join(here, "kiln-worker@.service"), "utf8");
    assert.match(text, /^KillSignal=SIGTERM$/m);
    assert.match(text, /^RestartPreventExitStatus=2$/m);
    assert.ok(Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]) > 30, "longer than the default 30 s grace period");
  });

  it("pm2: the ecosystem file runs `npm run worker`, waits out the grace period and does not restart on exit 2", () => {
    const config = createRequire(import.meta.url)("./ecosystem.config.cjs") as {
      apps: { script: string; args: string; stop_exit_codes: number[]; kill_timeout: number; cwd: string }[];
    };
    const [app] = config.apps;
    assert.equal(app.script, "npm");
    assert.match(app.args, /^run --silent worker\b/);
    assert.ok(app.stop_exit_codes.includes(2));
    assert.ok(app.kill_timeout > 30_000);
    assert.equal(join(app.cwd), join(here, "../.."));
  });
});
