/** The webhook routes, for the shared auth-refusal test (routes/auth_refusals.test.ts). */
import type { RouteSpec } from "./auth_refusals.ts";

const SOME_ID = "00000000-0000-4000-8000-000000000000";

export const WEBHOOK_ROUTES: RouteSpec[] = [
  // An address literal on the public internet: no DNS lookup, and the registration succeeds.
  { method: "POST", path: "/v1/webhooks", body: { url: "https://93.184.216.34/hook" }, scope: "webhooks:manage" },
  { method: "GET", path: "/v1/webhooks", scope: "webhooks:manage" },
  { method: "GET", path: `/v1/webhooks/${SOME_ID}`, scope: "webhooks:manage" },
  { method: "PATCH", path: `/v1/webhooks/${SOME_ID}`, body: { description: "d" }, scope: "webhooks:manage" },
  { method: "DELETE", path: `/v1/webhooks/${SOME_ID}`, scope: "webhooks:manage" },
  { method: "POST", path: `/v1/webhooks/${SOME_ID}/rotate-secret`, scope: "webhooks:manage" },
  { method: "POST", path: `/v1/webhooks/${SOME_ID}/test`, scope: "webhooks:manage" },
  { method: "GET", path: `/v1/webhooks/${SOME_ID}/deliveries`, scope: "webhooks:manage" },
  {
    method: "POST",
    path: `/v1/webhooks/${SOME_ID}/replay`,
    body: { since: "2026-01-01T00:00:00Z" },
    scope: "webhooks:manage",
  },
  { method: "POST", path: `/v1/deliveries/${SOME_ID}/replay`, scope: "webhooks:manage" },
  { method: "GET", path: "/v1/webhooks/secret", scope: "webhooks:manage" },
  { method: "POST", path: "/v1/webhooks/secret/rotate", scope: "webhooks:manage" },
];
