/** The `{id}` path parameter of the routes on one resource (jobs, webhook endpoints, deliveries). */
import { z } from "@hono/zod-openapi";

/** `{id}`: a UUID; `what` names it in the error, e.g. "a job id". */
export const idParam = (what: string) =>
  z.object({
    id: z
      .uuid({ error: `id must be ${what} (a UUID).` })
      .openapi({ param: { name: "id", in: "path" }, example: "5b7f1d2c-9a3e-4c1b-8f6d-2e4a1c3b5d7e" }),
  });

export const JobIdParams = idParam("a job id");
