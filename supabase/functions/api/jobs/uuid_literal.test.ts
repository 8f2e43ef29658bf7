/** uuidLiteral lets through a UUID and nothing else. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uuidLiteral } from "./uuid_literal.ts";

describe("uuidLiteral", () => {
  it("writes a canonical UUID as a typed literal", () => {
    assert.equal(uuidLiteral("3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"), "'3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'::uuid");
    assert.equal(uuidLiteral("3F1A2B4C-5D6E-4F70-8A9B-0C1D2E3F4A5B"), "'3F1A2B4C-5D6E-4F70-8A9B-0C1D2E3F4A5B'::uuid");
  });

  it("refuses anything else, quotes above all", () => {
    for (const bad of [
      "",
      "3f1a2b4c5d6e4f708a9b0c1d2e3f4a5b",
      "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'",
      "'; drop table public.jobs; --",
      "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b\n",
      "{3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b}",
    ]) {
      assert.throws(() => uuidLiteral(bad), /not a UUID/, JSON.stringify(bad));
    }
  });
});
