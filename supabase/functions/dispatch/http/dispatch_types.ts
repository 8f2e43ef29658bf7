/** The Hono types of the dispatch app. */
import type { Hono } from "hono";

export interface DispatchEnv {
  Variables: {
    requestId: string;
  };
}

export type DispatchApp = Hono<DispatchEnv>;
