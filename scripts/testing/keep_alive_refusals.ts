/**
 * A keep-alive client alternating a request refused before its body is read (413) with a normal one, as a real
 * client reusing its connections does: counts the requests that failed at the socket (the server dropped a
 * connection it had kept alive). Zero is the only right answer.
 */
import assert from "node:assert/strict";

export async function socketErrorsAfterRefusals(refusedUrl: string, normalUrl: string, rounds = 40): Promise<number> {
  const big = JSON.stringify({ type: "txt2img", params: { prompt: "x".repeat(2 * 1024 * 1024) } });
  let errors = 0;
  for (let i = 0; i < rounds; i++) {
    const refused = await fetch(refusedUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    }).catch(() => undefined);
    if (!refused) errors++;
    else {
      assert.equal(refused.status, 413);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "payload_too_large");
    }
    const normal = await fetch(normalUrl).catch(() => undefined);
    if (!normal) errors++;
    else await normal.body?.cancel();
  }
  return errors;
}
