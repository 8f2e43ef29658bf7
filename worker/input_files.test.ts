/** Input files in ComfyUI: named by content, removed once no running job uses them, never outside the folder. */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { contentName, InputFiles, removeUnder } from "./input_files.ts";

describe("input files", () => {
  it("are named by their content: the same bytes, the same name", async () => {
    const a = await contentName(new Uint8Array([1, 2, 3]), "png");
    assert.equal(a, await contentName(new Uint8Array([1, 2, 3]), "png"));
    assert.notEqual(a, await contentName(new Uint8Array([1, 2, 4]), "png"));
    assert.match(a, /^[0-9a-f]{32}\.png$/);
  });

  it("are removed when the last job using them ends, in the input folder only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kiln-input-"));
    try {
      await mkdir(join(dir, "kiln"));
      await writeFile(join(dir, "kiln", "a.png"), "a");
      await writeFile(join(dir, "outside.txt"), "keep");
      const files = new InputFiles(removeUnder(dir));
      files.acquire("kiln/a.png");
      files.acquire("kiln/a.png");
      await files.release(["kiln/a.png"]);
      assert.deepEqual(await readdir(join(dir, "kiln")), ["a.png"], "another job still uses it");
      await files.release(["kiln/a.png"]);
      assert.deepEqual(await readdir(join(dir, "kiln")), []);
      files.acquire("../outside.txt");
      await files.release(["../outside.txt"]);
      assert.deepEqual(await readdir(dir), ["kiln", "outside.txt"], "a path out of the folder is never removed");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
