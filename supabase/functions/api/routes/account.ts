/** Account routes: the caller's profile, credits ledger and API keys. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerMe } from "./v1_me.ts";

export function registerAccountRoutes(app: ApiApp, deps: ApiDeps): void {
  registerMe(app, deps);
}
