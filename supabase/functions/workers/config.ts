/**
 * The workers function's configuration, from the same environment as the API (validated once, at start):
 * what every function reads, and how long signed input URLs last.
 */
import type { z } from "zod";
import { ClientIpEnv, FunctionEnv, parseFunctionEnv, positiveInt } from "../_shared/function_env.ts";

export const WorkersConfigSchema = FunctionEnv.extend({
  ...ClientIpEnv,
  /** Signed download URLs of a claimed job's input images last this long (s). */
  KILN_INPUT_URL_EXPIRY_SECONDS: positiveInt.default(3600),
});
export type WorkersConfig = z.infer<typeof WorkersConfigSchema>;

/** Parses the environment or throws one Error naming every bad variable. */
export function parseWorkersConfig(env: Record<string, string | undefined>): WorkersConfig {
  return parseFunctionEnv(WorkersConfigSchema, env, "workers");
}
