/** PATCH /v1/admin/accounts/{id}/limits: an administrator sets an account's own limits, over the deployment's. */
import { z } from "@hono/zod-openapi";
import { strictObject } from "./strict_object.ts";

const perMinute = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .optional()
    .openapi({
      description: `Requests per minute for ${what}, shared by the account's sessions and keys; null: the deployment's default.`,
    });

/** An account's own cap on its jobs; null returns it to the deployment's setting. */
const jobCap = (description: string) =>
  z.number().int().min(0).max(100_000).nullable().optional().openapi({ description });

export const AccountLimitsBody = strictObject(
  {
    rate_limit_read_per_minute: perMinute("reads (every route but job creation)"),
    rate_limit_create_per_minute: perMinute("job creation"),
    max_active_jobs: jobCap("Queued and running jobs at once; null: the max_active_jobs setting."),
    max_running_jobs: jobCap("Running jobs at once (0: no cap); null: the max_running_jobs setting."),
    queue_weight: z.number().int().min(1).max(100).optional().openapi({
      description: "Fair share: turns this account takes for each turn of a weight-1 account while both wait (1).",
    }),
  },
  "the limits",
)
  .refine((body) => Object.keys(body).length > 0, "Give at least one limit to change.")
  .openapi("AccountLimitsUpdate");
export type AccountLimitsBody = z.infer<typeof AccountLimitsBody>;

export const AccountLimits = z
  .object({
    user_id: z.uuid(),
    rate_limit_read_per_minute: z.number().int().nullable(),
    rate_limit_create_per_minute: z.number().int().nullable(),
    max_active_jobs: z.number().int().nullable(),
    max_running_jobs: z.number().int().nullable(),
    queue_weight: z.number().int(),
    effective_rate_limit_per_minute: z
      .object({ read: z.number().int(), create: z.number().int() })
      .openapi({ description: "The account's budgets now: its own, else the deployment's defaults." }),
    keys_clamped: z.number().int().openapi({
      description: "The account's live keys whose own limit is above these budgets: they are held to the account's.",
    }),
  })
  .openapi("AccountLimits");

export const AccountIdParam = z.object({
  id: z
    .uuid({ error: "id must be an account id (a user's UUID)." })
    .openapi({ param: { name: "id", in: "path" }, example: "5b1f3f0e-8c2d-4c1a-9d1e-2f3a4b5c6d7e" }),
});
