/**
 * GET /openapi.json and GET /docs: the document is valid OpenAPI 3.1 (checked by an OpenAPI validator), lists
 * every registered route and nothing else, names every error code of shared/errors.ts in the responses where
 * it can happen, and its error-code enum is exactly ERROR_CODES. The reference page shows every operation.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ERROR_CODES, type ErrorCode } from "../../../../shared/errors.ts";
import { newApp } from "../app.ts";
import { apiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import type { ApiDocument } from "./document.ts";

/**
 * Codes the public API never answers: the worker protocol's (the workers function answers those), and
 * invalid_request, which kiln.create_job raises (KL012) only for a negative cost, which the API never computes.
 */
/** Codes other parts answer: the worker protocol, and the HTTP parser in front of the app (the gateway). */
const NOT_ANSWERED_BY_API: ErrorCode[] = [
  "worker_unauthorized",
  "lease_lost",
  "invalid_request",
  "malformed_request",
  "headers_too_large",
];
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

describe("the OpenAPI document and the reference page", () => {
  let h: ApiHarness;
  let app: ApiApp;
  let deps: ReturnType<typeof apiDeps>;
  let doc: ApiDocument;
  before(async () => {
    h = await startApiHarness();
    // A second instance of the same app, only to list its routes (nothing here touches its database).
    deps = apiDeps({ SUPABASE_URL: h.target.url, SUPABASE_DB_URL: h.target.dbUrl });
    app = newApp(deps);
    const res = await h.call("GET", "/openapi.json");
    assert.equal(res.status, 200);
    doc = (await res.json()) as ApiDocument;
  });
  after(async () => {
    await deps?.close();
    await h?.close();
  });

  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.servers, [{ url: `${h.target.url}/functions/v1` }]);
    assert.deepEqual(Object.keys(doc.components?.securitySchemes ?? {}).sort(), ["apiKey", "bearer"]);
  });

  it("lists every registered route, and only those", () => {
    const registered = app.routes
      .filter((r) => METHODS.has(r.method) && !r.path.includes("*"))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual([...new Set(registered)].sort(), documented.sort());
    for (const path of ["/api/health", "/api/openapi.json", "/api/docs", "/api/v1/admin/stats"]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
  });

  it("names every error code under the status it is answered with", () => {
    const seen = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [, code] of response.description.matchAll(/`(\w+)`:/g)) {
            assert.ok(code in ERROR_CODES, `${method} ${path}: unknown code ${code}`);
            assert.equal(String(ERROR_CODES[code as ErrorCode].status), status, `${method} ${path}: ${code}`);
            seen.add(code);
          }
        }
        const secured = op.security ?? [];
        for (const scheme of secured.flatMap((s) => Object.keys(s))) {
          assert.ok(doc.components?.securitySchemes?.[scheme], `${method} ${path}: scheme ${scheme} is defined`);
        }
        if (secured.length > 0) assert.ok(op.responses["401"], `${method} ${path} documents its 401`);
      }
    }
    const missing = Object.keys(ERROR_CODES).filter(
      (c) => !seen.has(c) && !NOT_ANSWERED_BY_API.includes(c as ErrorCode),
    );
    assert.deepEqual(missing, [], "every code the API can answer appears in some response");
  });

  it("has the error envelope's code enum equal to ERROR_CODES", () => {
    const error = doc.components?.schemas?.Error as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    assert.deepEqual(error.properties.error.properties.code.enum, Object.keys(ERROR_CODES));
  });

  it("points /docs at the OpenAPI document, since hosted functions cannot serve a page", async () => {
    const res = await h.call("GET", "/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const pointer = (await res.json()) as { openapi_url: string; reference_url: string | null };
    assert.equal(pointer.openapi_url, `${h.target.url}/functions/v1/api/openapi.json`);
    assert.equal(pointer.reference_url, null);
    assert.equal((await fetch(pointer.openapi_url)).status, 200);
  });
});
