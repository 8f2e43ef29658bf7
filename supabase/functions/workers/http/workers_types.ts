/** The Hono types of the workers app: what a request carries through the middleware to a route. */
import type { Hono } from "hono";

/** The worker a request comes from, as its token's row says (set by requireWorker). */
export interface WorkerPrincipal {
  id: string;
  name: string;
  /** What it said it runs when it last registered (none before it registers). */
  jobTypes: string[];
  registered: boolean;
  draining: boolean;
}

export interface WorkersEnv {
  Variables: {
    requestId: string;
    worker: WorkerPrincipal;
  };
}

export type WorkersApp = Hono<WorkersEnv>;
