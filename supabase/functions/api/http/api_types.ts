/** The Hono types of the API app: what a request carries through the middleware to a route. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../auth/principal.ts";

export interface ApiEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware of routes that require one. */
    principal: Principal;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/**
 * The OpenAPI `security` of routes that take a user's access token or an API key. Typed: the inferred
 * literal (`never[]` scopes) collapses the handler's validated input to `never`.
 */
export const CALLER_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];
