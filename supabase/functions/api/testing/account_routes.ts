/** The account routes, for the shared auth-refusal test (routes/auth_refusals.test.ts). */
import type { RouteSpec } from "./auth_refusals.ts";

const SOME_KEY_ID = "00000000-0000-4000-8000-000000000000";

export const ACCOUNT_ROUTES: RouteSpec[] = [
  { method: "GET", path: "/v1/me", scope: "account:read" },
  { method: "GET", path: "/v1/credits/ledger", scope: "account:read" },
  { method: "POST", path: "/v1/keys", body: { name: "k", scopes: ["keys:manage"] }, scope: "keys:manage" },
  { method: "GET", path: "/v1/keys", scope: "keys:manage" },
  { method: "PATCH", path: `/v1/keys/${SOME_KEY_ID}`, body: { name: "renamed" }, scope: "keys:manage" },
  { method: "DELETE", path: `/v1/keys/${SOME_KEY_ID}`, scope: "keys:manage" },
];
