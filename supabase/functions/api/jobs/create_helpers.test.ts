/** The pure parts of job creation: request fingerprints and Prefer: wait. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { preferredWait } from "./prefer_wait.ts";
import { canonicalJson, requestHash } from "./request_hash.ts";

describe("create helpers", () => {
  it("fingerprint a body whatever its key order", async () => {
    assert.equal(canonicalJson({ b: [1, { d: 1, c: null }], a: "x" }), '{"a":"x","b":[1,{"c":null,"d":1}]}');
    assert.equal(requestHash({ a: 1, b: 2 }), requestHash({ b: 2, a: 1 }));
    assert.notEqual(requestHash({ a: 1 }), requestHash({ a: 2 }));
  });

  it("read wait=N from Prefer, capped at 60 s", () => {
    assert.equal(preferredWait("wait=5"), 5);
    assert.equal(preferredWait("respond-async, wait=600"), 60);
    assert.equal(preferredWait("return=minimal"), undefined);
    assert.equal(preferredWait(undefined), undefined);
  });
});
