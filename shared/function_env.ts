/**
 * The environment a Kiln Edge Function runs with: what Supabase gives every function, plus Kiln's own
 * settings. Each function extends it with its own variables and validates the whole once, at start.
 */
import { z } from "zod";

export const FunctionEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  /**
   * Where the functions' queries go, when not SUPABASE_DB_URL: the transaction pooler (port 6543) for many isolates
   * on a small project. LISTEN (the workers function's long polls) stays on SUPABASE_DB_URL, since a transaction
   * pooler does not carry notifications.
   */
  KILN_DB_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  /**
   * Connections per isolate, opened as concurrent queries need them and closed when idle. N isolates of the three
   * functions hold at most N × this; 4 keeps a dozen isolates inside a Free/Micro project's direct connections.
   */
  KILN_DB_POOL_SIZE: z.coerce.number().int().positive().default(4),
  SUPABASE_ANON_KEY: z.string().min(1).optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  /**
   * The project's public signing keys as the platform gives them (a JWKS document). Only read to say at start
   * whether the project signs with asymmetric keys; tokens are checked against the JWKS URL, which follows rotations.
   */
  SUPABASE_JWKS: z.string().optional(),
  /**
   * The legacy HS256 JWT secret (legacy projects, and the local stacks). A Kiln name, since hosted projects cannot
   * set secrets named SUPABASE_*.
   */
  KILN_JWT_SECRET: z.string().min(32).optional(),
  /** The old name, no longer read: only so the start-up line can say to rename it. */
  SUPABASE_JWT_SECRET: z.string().optional(),
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
