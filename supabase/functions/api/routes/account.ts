/** Account routes: the caller's profile, credits ledger and API keys. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerCreditsLedger } from "./v1_credits_ledger.ts";
import { registerKeysCreate } from "./v1_keys_create.ts";
import { registerKeysDelete } from "./v1_keys_delete.ts";
import { registerKeysList } from "./v1_keys_list.ts";
import { registerKeysUpdate } from "./v1_keys_update.ts";
import { registerMe } from "./v1_me.ts";

export function registerAccountRoutes(app: ApiApp, deps: ApiDeps): void {
  registerMe(app, deps);
  registerCreditsLedger(app, deps);
  registerKeysCreate(app, deps);
  registerKeysList(app, deps);
  registerKeysUpdate(app, deps);
  registerKeysDelete(app, deps);
}
