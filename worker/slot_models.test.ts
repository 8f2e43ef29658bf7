/** Which checkpoints a worker reports loaded, and which free slot takes which claimed job. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClaimedJob } from "../shared/worker_protocol.ts";
import { assignSlots, checkpointOf, loadedModels } from "./slot_models.ts";

const job = (id: string, checkpoints: string[]) => ({ id, checkpoints }) as ClaimedJob;

describe("slot models", () => {
  it("reports each loaded checkpoint once", () => {
    assert.deepEqual(loadedModels([{ loaded: "x" }, {}, { loaded: "x" }, { loaded: "y" }]), ["x", "y"]);
  });

  it("knows what a job loads: the checkpoint it names, the default for any, nothing without one", () => {
    assert.equal(checkpointOf(job("a", ["x"]), "d"), "x");
    assert.equal(checkpointOf(job("a", ["*"]), "d"), "d");
    assert.equal(checkpointOf(job("a", []), "d"), undefined);
  });

  it("gives each job a slot that has its checkpoint loaded, else an empty slot, else any", () => {
    const slots = [{ name: "s1", loaded: "x" }, { name: "s2", loaded: "y" }, { name: "s3" }];
    const pairs = assignSlots(slots, [job("1", ["z"]), job("2", ["y"]), job("3", ["x"])]);
    assert.deepEqual(
      pairs.map(([slot, j]) => [j.id, slot.name]),
      [
        ["2", "s2"],
        ["3", "s1"],
        ["1", "s3"],
      ],
    );
    assert.deepEqual(
      assignSlots(slots.slice(0, 2), [job("1", ["z"])]).map(([slot]) => slot.name),
      ["s1"],
    );
  });
});
