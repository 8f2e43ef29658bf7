/** Text Postgres cannot store, found by path in JSON, and replaced where Kiln reports what others said. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { safeText, unsafeJsonText, unsafeText } from "./text_safety.ts";

describe("text safety", () => {
  it("finds NUL and unpaired surrogates by path, keys included", () => {
    const problems = unsafeText({ a: "x\u0000y", b: ["ok", "\ud800"], "k\u0000": 1, c: { d: "\udc00z" } });
    assert.deepEqual(
      problems.map((p) => p.path.join(".")),
      ["a", "b.1", "k\u0000", "c.d"],
    );
    assert.match(problems[0].message, /NUL/);
    assert.match(problems[1].message, /unpaired surrogate/);
    assert.match(problems[2].message, /^its name/);
  });

  it("lets real text through: pairs, escaped backslashes, other control characters", () => {
    assert.deepEqual(unsafeText({ emoji: "\ud83d\ude00", tab: "a\tb", nl: "a\nb" }), []);
    assert.deepEqual(unsafeJsonText(String.raw`{"literal": "\\u0000", "pair": "\ud83d\ude00"}`), []);
    assert.deepEqual(unsafeJsonText("not json \\u0000"), [], "a parser refuses it, not this check");
    assert.equal(unsafeJsonText(String.raw`{"p": {"prompt": "a\u0000b"}}`)[0].path.join("."), "p.prompt");
    assert.equal(unsafeJsonText(String.raw`{"p": "\uDBFF"}`).length, 1, "upper-case escapes too");
  });

  it("replaces what it finds with U+FFFD, and nothing else", () => {
    assert.equal(safeText("a\u0000b\ud800c\ud83d\ude00"), "a\ufffdb\ufffdc\ud83d\ude00");
  });
});
