/** One Kiln per data folder: a live holder refuses the second start by name; a dead one's lock is taken over. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DATA_DIR_LOCK, DataDirLockedError, lockDataDir } from "./data_dir_lock.ts";

/** Another process that takes the folder's lock and holds it until killed. */
async function holderProcess(dir: string): Promise<ChildProcess> {
  const script = `const { lockDataDir } = await import(${JSON.stringify(new URL("./data_dir_lock.ts", import.meta.url).href)});
    await lockDataDir(${JSON.stringify(dir)}); console.log("locked"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the holder did not take the lock in 20 s")), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return child;
}

describe("the data folder lock", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second Kiln while the first runs, naming the folder and its process; a crashed one's lock is taken over", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kiln-lock-"));
    dirs.push(dir);
    const holder = await holderProcess(dir);
    try {
      await assert.rejects(lockDataDir(dir), (error: Error) => {
        assert.ok(error instanceof DataDirLockedError);
        assert.ok(error.message.includes(dir) && error.message.includes(`process ${holder.pid}`), error.message);
        return true;
      });
    } finally {
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    const release = await lockDataDir(dir);
    assert.equal(JSON.parse(await readFile(join(dir, DATA_DIR_LOCK), "utf8")).pid, process.pid);
    await release();
    await assert.rejects(readFile(join(dir, DATA_DIR_LOCK)), { code: "ENOENT" });
  });
});
