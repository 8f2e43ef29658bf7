/** CORS: preflights answered, allowed origins echoed, others given nothing, `*` by default. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { type AppWithEnv, appWithEnv } from "../testing/app_with_env.ts";

let h: ApiHarness;
let listed: AppWithEnv;
before(async () => {
  h = await startApiHarness();
  listed = appWithEnv(h, { KILN_CORS_ORIGINS: "https://app.example, https://admin.example" });
});
after(async () => {
  await listed.close();
  await h.close();
});

const preflight = (origin: string) => ({
  origin,
  "access-control-request-method": "POST",
  "access-control-request-headers": "authorization,content-type",
});

describe("with an allow-list", () => {
  it("answers a preflight from a listed origin with what it may send", async () => {
    const res = await listed.call("OPTIONS", "/v1/jobs", { headers: preflight("https://admin.example") });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://admin.example");
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(
      res.headers.get("access-control-allow-headers") ?? "",
      /authorization.*content-type|content-type.*authorization/,
    );
    assert.equal(res.headers.get("access-control-max-age"), "600");
    assert.match(res.headers.get("vary") ?? "", /origin/i);
  });

  it("lets a listed origin read the API's headers, and gives an unlisted one nothing", async () => {
    const ok = await listed.call("GET", "/health", { headers: { origin: "https://app.example" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(ok.headers.get("access-control-expose-headers") ?? "", /x-request-id/);
    assert.ok(ok.headers.get("x-request-id"));
    for (const res of [
      await listed.call("GET", "/health", { headers: { origin: "https://evil.example" } }),
      await listed.call("OPTIONS", "/v1/jobs", { headers: preflight("https://evil.example") }),
    ]) {
      assert.equal(res.headers.get("access-control-allow-origin"), null);
      assert.equal(res.headers.get("access-control-allow-methods"), null);
    }
  });
});

describe("by default", () => {
  it("allows any origin, on errors too", async () => {
    const res = await h.call("GET", "/v1/me", { headers: { origin: "http://localhost:3000" } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(res.headers.get("access-control-expose-headers") ?? "", /ratelimit-remaining/);
  });
});
