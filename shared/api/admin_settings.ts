/** Deployment settings an administrator may change (PATCH /v1/admin/settings); kiln.settings holds them. */
import { z } from "@hono/zod-openapi";
import { strictObject } from "./strict_object.ts";

const Maintenance = strictObject(
  {
    enabled: z.boolean().openapi({ description: "While true, job creation answers 503 `maintenance`." }),
    reason: z.string().trim().min(1).max(500).nullable().optional().openapi({
      description: "Shown to callers as the 503's message.",
      example: "Upgrading the database; back by 14:00 UTC.",
    }),
  },
  "maintenance",
).openapi("Maintenance");

const count = (description: string, max: number) => z.number().int().min(0).max(max).openapi({ description });

export const AdminSettingsPatchBody = strictObject(
  {
    maintenance: Maintenance.optional(),
    max_active_jobs: count("Default cap on an account's queued + running jobs.", 1_000_000).optional(),
    max_running_jobs: count("Default cap on an account's running jobs; 0: none.", 100_000).optional(),
    fair_share: z.boolean().optional().openapi({
      description:
        "Jobs queued from now on take turns between accounts (true), or go first come, first served by priority.",
    }),
    model_affinity_wait_seconds: count(
      "Workers prefer jobs using their loaded checkpoint, but never pass over a job that has waited this long; 0: off.",
      86_400,
    ).optional(),
    signup_grant_credits: count("Credits every new account gets.", 1_000_000_000).optional(),
    max_attempts: z.number().int().min(1).max(20).optional().openapi({ description: "Default attempts per job." }),
    lease_seconds: z.number().int().min(5).max(3600).optional().openapi({ description: "Lease a claim grants." }),
    worker_online_seconds: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .optional()
      .openapi({ description: "A worker counts as online while seen within this many seconds." }),
  },
  "the settings",
).openapi("AdminSettingsPatch");
export type AdminSettingsPatchBody = z.infer<typeof AdminSettingsPatchBody>;

export const AdminSettings = z
  .record(z.string(), z.unknown())
  .openapi("AdminSettings", { description: "Every setting by key." });
