/**
 * The auth refusals every authenticated route must give, run against one route at a time: missing, garbled,
 * expired and wrongly signed tokens; revoked, expired and unknown API keys; a key without the route's scope.
 * Each answer must be the one error envelope, with the request id of its x-request-id header. Finally, a key with
 * the scope (of an admin, for admin routes) must get past authentication, so a route that refuses everyone fails.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import type { ErrorCode } from "../../../../shared/errors.ts";
import { newApiKey } from "../auth/api_keys.ts";
import { SCOPES, type Scope } from "../auth/principal.ts";
import type { ApiHarness } from "./api_harness.ts";

/**
 * A route to check: how to call it, and what it needs (`x-kiln-auth` of its OpenAPI operation). No body is sent:
 * authentication comes before validation, and once past it a route answers 4xx for the missing body, not 401/403.
 */
export interface RouteSpec {
  method: string;
  /** A concrete path, ids filled in (`/v1/keys/00000000-0000-4000-8000-000000000000`). */
  path: string;
  scope?: Scope;
  /** An administrators' route: a signed-in non-admin is refused with admin_required. */
  admin?: boolean;
}

/** An id no row has: a route refuses before looking it up, or answers 404 after. */
const SOME_ID = "00000000-0000-4000-8000-000000000000";

/**
 * Every authenticated operation of the API's OpenAPI document (all that carry `security`), as a RouteSpec; one
 * without `x-kiln-auth` was not made by callerRoute, and is returned as `unmarked` so the suite can fail on it.
 */
export function authenticatedRoutes(document: {
  paths: Record<string, Record<string, { security?: unknown[]; "x-kiln-auth"?: { scope?: Scope; admin?: boolean } }>>;
}): { routes: RouteSpec[]; unmarked: string[] } {
  const routes: RouteSpec[] = [];
  const unmarked: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!operation.security?.length) continue;
      const concrete = path.replace(/^\/api/, "").replace(/\{[^}]+\}/g, SOME_ID);
      const need = operation["x-kiln-auth"];
      if (!need) unmarked.push(`${method.toUpperCase()} ${path}`);
      else routes.push({ method: method.toUpperCase(), path: concrete, ...need });
    }
  }
  return { routes, unmarked };
}

/** A spec's name in test titles. */
export function routeName(route: RouteSpec): string {
  return `${route.method} ${route.path}`;
}

/** Asserts that `response` is the error envelope with `code`, and returns its body. */
export async function assertError(
  response: Response,
  status: number,
  code: ErrorCode,
  what = "",
): Promise<{ error: { code: string; message: string; details?: Record<string, unknown>; request_id: string } }> {
  const text = await response.text();
  const label = `${what}: ${response.status} ${text}`;
  assert.equal(response.status, status, label);
  const body = JSON.parse(text);
  assert.equal(body.error?.code, code, label);
  assert.equal(typeof body.error.message, "string", label);
  assert.ok(body.error.message.length > 0, label);
  const requestId = response.headers.get("x-request-id");
  assert.ok(requestId, `${what}: no x-request-id header`);
  assert.equal(body.error.request_id, requestId, label);
  return body;
}

/** Runs every auth refusal against `route`; the first one that does not hold fails, naming the route and case. */
export async function assertAuthRefusals(h: ApiHarness, route: RouteSpec): Promise<void> {
  const user = await h.user({ admin: route.admin });
  const scope = route.scope ?? SCOPES[0];
  const otherSecret = new TextEncoder().encode("not-the-project-secret-but-just-as-long-as-it");
  const foreignToken = await new SignJWT({ sub: user.id, role: "authenticated", aud: "authenticated" })
    .setIssuer(`${h.target.url}/auth/v1`)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setExpirationTime("1h")
    .sign(otherSecret);
  const cases: { name: string; auth?: string; headers?: Record<string, string>; status: number; code: ErrorCode }[] = [
    { name: "no credentials", status: 401, code: "missing_credentials" },
    { name: "garbled JWT", auth: "not-a.jwt-at.all", status: 401, code: "invalid_token" },
    { name: "expired JWT", auth: await h.token(user.id, {}, -60), status: 401, code: "token_expired" },
    { name: "JWT signed with another secret", auth: foreignToken, status: 401, code: "invalid_token" },
    {
      name: "revoked API key",
      auth: await h.apiKey(user, [scope], { revoked: true }),
      status: 401,
      code: "api_key_revoked",
    },
    {
      name: "expired API key",
      auth: await h.apiKey(user, [scope], { expiresAt: new Date(Date.now() - 1000) }),
      status: 401,
      code: "api_key_expired",
    },
    { name: "unknown API key", auth: newApiKey().key, status: 401, code: "invalid_api_key" },
    {
      name: "unknown API key in x-api-key",
      headers: { "x-api-key": newApiKey().key },
      status: 401,
      code: "invalid_api_key",
    },
  ];
  for (const c of cases) {
    const response = await h.call(route.method, route.path, { auth: c.auth, headers: c.headers });
    await assertError(response, c.status, c.code, `${routeName(route)}, ${c.name}`);
  }
  if (route.scope) await assertMissingScope(h, route, user);
  if (route.admin) {
    const nonAdmin = await h.user();
    const response = await h.call(route.method, route.path, { auth: nonAdmin.token });
    await assertError(response, 403, "admin_required", `${routeName(route)}, signed in without the admin role`);
  }
  const allowed = await h.call(route.method, route.path, { auth: await h.apiKey(user, [scope]) });
  await allowed.body?.cancel();
  assert.ok(
    ![401, 403].includes(allowed.status),
    `${routeName(route)}: a key with "${scope}" was refused (${allowed.status})`,
  );
}

async function assertMissingScope(h: ApiHarness, route: RouteSpec, user: Awaited<ReturnType<ApiHarness["user"]>>) {
  const scope = route.scope as Scope;
  const key = await h.apiKey(
    user,
    SCOPES.filter((s) => s !== scope),
  );
  const response = await h.call(route.method, route.path, { auth: key });
  const body = await assertError(response, 403, "missing_scope", `${routeName(route)}, key without "${scope}"`);
  assert.equal(body.error.details?.required_scope, scope);
  assert.match(body.error.message, new RegExp(scope));
}
