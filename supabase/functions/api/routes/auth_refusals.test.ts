/**
 * Every authenticated route refuses bad credentials the same way (see testing/auth_refusals.ts). The routes come
 * from the API's own OpenAPI document, so a new route is covered without anyone listing it, and a secured
 * operation that callerRoute did not make (no `x-kiln-auth`) fails here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newApp } from "../app.ts";
import { apiDeps } from "../deps.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { assertAuthRefusals, authenticatedRoutes, routeName } from "../testing/auth_refusals.ts";

// The document is the app's, built without serving it: the routes are known before any test starts.
const deps = apiDeps(
  { SUPABASE_URL: "http://127.0.0.1:9", SUPABASE_DB_URL: "postgres://unused@127.0.0.1:9/x" },
  () => {},
);
const { routes, unmarked } = authenticatedRoutes(
  newApp(deps).getOpenAPI31Document({ openapi: "3.1.0", info: { title: "", version: "" } }) as never,
);

describe("auth refusals on every route", () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(async () => {
    await h.close();
    await deps.close();
  });

  it("covers every authenticated operation of the OpenAPI document, each made by callerRoute", () => {
    assert.deepEqual(unmarked, []);
    assert.ok(routes.length >= 37, `${routes.length} routes`);
    for (const prefix of ["/v1/jobs", "/v1/admin/", "/v1/keys", "/v1/webhooks", "/v1/me"]) {
      assert.ok(
        routes.some((r) => r.path.startsWith(prefix)),
        `no route under ${prefix}`,
      );
    }
  });

  for (const route of routes) {
    it(`${routeName(route)} refuses missing, bad, expired and revoked credentials and missing scopes`, () =>
      assertAuthRefusals(h, route));
  }
});
