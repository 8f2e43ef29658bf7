/**
 * The workers function's configuration, from the same environment as the API (validated once, at start):
 * Supabase's variables, the API's body and pool limits, and how long signed input URLs last.
 */
import { z } from "zod";
import { FunctionEnv, parseFunctionEnv } from "../../../shared/function_env.ts";
import { ApiConfigSchema } from "../api/config.ts";

export const WorkersConfigSchema = FunctionEnv.extend({
  KILN_MAX_BODY_BYTES: ApiConfigSchema.shape.KILN_MAX_BODY_BYTES,
  /** Set: a job's end (complete, fail, canceled) kicks the dispatcher so its webhooks leave at once. */
  KILN_DISPATCH_SECRET: ApiConfigSchema.shape.KILN_DISPATCH_SECRET,
  /** Signed download URLs of a claimed job's input images last this long (s). */
  KILN_INPUT_URL_EXPIRY_SECONDS: z.coerce.number().int().positive().default(3600),
});
export type WorkersConfig = z.infer<typeof WorkersConfigSchema>;

/** Parses the environment or throws one Error naming every bad variable. */
export function parseWorkersConfig(env: Record<string, string | undefined>): WorkersConfig {
  return parseFunctionEnv(WorkersConfigSchema, env, "workers");
}
