/**
 * GET /v1/jobs/{id}/outputs: the job's output files with fresh signed URLs (KILN_OUTPUT_URL_EXPIRY_SECONDS,
 * default 1 h; `?expires_in=` 60 s to 7 days). Files stay until DELETE /v1/jobs/{id}/outputs removes them; a
 * file that is gone (removed by a retention policy) has `url: null`.
 */
import { z } from "@hono/zod-openapi";
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { JobOutput } from "../../../../shared/api/job_schema.ts";
import { OUTPUTS_BUCKET } from "../../_shared/storage/buckets.ts";
import type { ObjectStorage } from "../../_shared/storage/object_storage.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { jobOutputs } from "../jobs/job_outputs.ts";

const expiresMessage = "expires_in must be a whole number of seconds from 60 to 604800 (7 days)";

const Query = z.strictObject(
  {
    expires_in: z.coerce
      .number({ error: expiresMessage })
      .int(expiresMessage)
      .min(60, expiresMessage)
      .max(604800, expiresMessage)
      .optional()
      .openapi({ description: "Lifetime of the signed URLs in seconds (default: the deployment's, 1 h)." }),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "the only query parameter is expires_in" : undefined) },
);

const Outputs = z
  .object({
    job_id: z.uuid(),
    expires_at: z.iso.datetime().openapi({ description: "When the URLs stop working." }),
    outputs: z.array(
      JobOutput.extend({
        url: z.string().nullable().openapi({ description: "Signed GET URL; null if the file is gone." }),
      }),
    ),
  })
  .openapi("JobOutputs");

export function registerJobsOutputsList(app: ApiApp, deps: ApiDeps, storage: ObjectStorage): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:read" },
    {
      method: "get",
      path: "/v1/jobs/{id}/outputs",
      tags: ["Jobs"],
      summary: "Signed URLs of a job's outputs",
      request: { params: JobIdParams, query: Query },
      responses: {
        200: { description: "Each output with a signed URL.", content: { "application/json": { schema: Outputs } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const expiresIn = c.req.valid("query").expires_in ?? deps.config.KILN_OUTPUT_URL_EXPIRY_SECONDS;
    const { outputs } = await jobOutputs(deps.sql, id, c.get("principal").userId);
    const urls = await storage.signDownloads(
      OUTPUTS_BUCKET,
      outputs.map((o) => o.path),
      expiresIn,
    );
    return c.json(
      {
        job_id: id,
        expires_at: new Date(Date.now() + expiresIn * 1000).toISOString(),
        outputs: outputs.map((o) => ({ ...o, url: urls.get(o.path) ?? null })),
      },
      200,
    );
  });
}
