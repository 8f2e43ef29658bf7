/**
 * The environment a Kiln Edge Function runs with: what Supabase gives every function, plus Kiln's own
 * settings. Each function extends it with its own variables and validates the whole once, at start.
 */
import { z } from "zod";

export const FunctionEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  SUPABASE_ANON_KEY: z.string().min(1).optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  /** HS256 secret for legacy projects and the local stack; hosted projects with signing keys use the JWKS. */
  SUPABASE_JWT_SECRET: z.string().min(32).optional(),
});
export type FunctionEnv = z.infer<typeof FunctionEnv>;

/** Parses a function's environment with `schema`, or throws one Error naming every bad variable. */
export function parseFunctionEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  what: string,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new Error(`invalid ${what} configuration: ${problems}`);
}
