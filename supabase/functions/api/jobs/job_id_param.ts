/** The `{id}` path parameter of the job routes. */
import { z } from "@hono/zod-openapi";

export const JobIdParams = z.object({
  id: z
    .uuid({ error: "id must be a job id (a UUID)" })
    .openapi({ param: { name: "id", in: "path" }, example: "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b" }),
});
