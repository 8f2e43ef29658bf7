/**
 * The one factory for routes a caller authenticates to (a user's access token or an API key). It adds what every
 * such route has, so a route file says only what is its own:
 * - the OpenAPI security (bearer token or API key) and `x-kiln-auth`, which says what the route needs (the scope,
 *   or the admin role), for readers of the document and for the auth-refusal suite that iterates it;
 * - the auth middleware: the caller, the scope or role, and one request of the rate-limit budget;
 * - the error responses of authentication (credentials, the scope or role, 429), of validation where the route
 *   validates a request, and the route's own (`errors`), merged into one entry per status.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { CREDENTIAL_ERRORS, errorResponses } from "../../../../shared/api/error_schema.ts";
import type { ErrorCode } from "../../../../shared/errors.ts";
import type { Scope } from "../auth/principal.ts";
import { type Authenticator, requireAuth } from "../auth/require_auth.ts";
import type { RateBudget } from "../rate_limit/rate_limit.ts";
import { CALLER_SECURITY } from "./api_types.ts";

/** What a route asks of its caller: an API key's scope, or the admin role; the budget it spends (default read). */
export type CallerNeed = ({ scope: Scope; admin?: never } | { admin: true; scope?: never }) & { budget?: RateBudget };

/** `x-kiln-auth` of an operation in the OpenAPI document. */
export interface KilnAuthExtension {
  scope?: Scope;
  admin?: boolean;
}

/** The error codes of authenticating for `need`. */
function authErrors(need: CallerNeed): ErrorCode[] {
  return [...CREDENTIAL_ERRORS, need.admin ? "admin_required" : "missing_scope", "rate_limited"];
}

/** A route for callers with `need`; `errors` are the route's own refusals, on top of authentication's. */
export function callerRoute<R extends Omit<RouteConfig, "security" | "middleware">>(
  auth: Authenticator,
  need: CallerNeed,
  route: R & { errors?: readonly ErrorCode[] },
) {
  const { errors = [], ...own } = route;
  const validation: ErrorCode[] = own.request ? ["validation_failed"] : [];
  const codes = [...new Set([...authErrors(need), ...validation, ...errors])];
  const extension: KilnAuthExtension = need.admin ? { admin: true } : { scope: need.scope };
  return createRoute({
    ...own,
    security: CALLER_SECURITY,
    "x-kiln-auth": extension,
    middleware: [requireAuth(auth, need)] as const,
    // Typed as adding nothing: handlers answer errors by throwing (fail), so only their own responses need types,
    // and an error entry typed in would make a 204's handler owe a JSON body.
    responses: { ...own.responses, ...(errorResponses(...codes) as Record<never, never>) },
  });
}
