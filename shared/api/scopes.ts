/** What an API key may do. A signed-in user holds every scope; a key holds the ones it was created with. */
import { z } from "@hono/zod-openapi";

export const SCOPES = ["jobs:read", "jobs:write", "webhooks:manage", "keys:manage", "account:read"] as const;

export const Scope = z
  .enum(SCOPES, { error: `Unknown scope; use one of ${SCOPES.join(", ")}.` })
  .openapi({ description: "A permission of an API key.", example: "jobs:write" });
export type Scope = z.infer<typeof Scope>;
