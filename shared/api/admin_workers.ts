/** GPU workers as administrators manage them (/v1/admin/workers). A worker's token is shown once, at creation. */
import { z } from "@hono/zod-openapi";
import { strictObject } from "./strict_object.ts";

export const AdminWorkerCreateBody = strictObject(
  {
    name: z.string().trim().min(1).max(100).openapi({ example: "gpu-box-1" }),
  },
  "the worker",
).openapi("AdminWorkerCreate");
export type AdminWorkerCreateBody = z.infer<typeof AdminWorkerCreateBody>;

export const AdminWorker = z
  .object({
    id: z.uuid(),
    name: z.string(),
    token_prefix: z
      .string()
      .openapi({ description: "The public start of the token.", example: "kiln_wk_Ab12Cd34Ef56" }),
    job_types: z.array(z.string()).openapi({ description: "What it said it runs when it last registered." }),
    capabilities: z.record(z.string(), z.unknown()),
    comfyui_version: z.string().nullable(),
    draining: z.boolean(),
    online: z.boolean().openapi({ description: "Seen within the `worker_online_seconds` setting, and not revoked." }),
    created_at: z.iso.datetime(),
    registered_at: z.iso.datetime().nullable(),
    last_seen_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
    current_jobs: z.array(z.uuid()).openapi({ description: "The jobs it is running now, oldest claim first." }),
  })
  .openapi("AdminWorker");
export type AdminWorker = z.infer<typeof AdminWorker>;

export const AdminWorkerCreated = z
  .object({
    token: z.string().openapi({
      description: "The worker's secret token (KILN_WORKER_TOKEN). Shown only in this response; store it now.",
      example: "kiln_wk_Ab12Cd34Ef56…",
    }),
    worker: AdminWorker,
  })
  .openapi("AdminWorkerCreated");
