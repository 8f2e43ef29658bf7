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
