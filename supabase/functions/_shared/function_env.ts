/**
 * The environment a Kiln Edge Function runs with: what Supabase gives every function, plus Kiln's own
 * settings. Each function extends it with its own variables and validates the whole once, at start.
 */
import { z } from "zod";

export const positiveInt = z.coerce.number().int().positive();

/** A comma-separated list. */
export const csv = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

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
  /** Largest request body. */
  KILN_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  /**
   * The dispatcher's secret (Authorization: Bearer …). The dispatcher accepts only callers that send it (unset: no
   * one). The api and workers functions, with it, kick the dispatcher after a transition or a replay so webhooks
   * leave at once; without it, deliveries wait for its next scheduled run.
   */
  KILN_DISPATCH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
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

/** The allow-lists of the webhook SSRF policy: the api checks URLs when they are registered, dispatch when it sends. */
export const WebhookTargetEnv = {
  /** Hosts whose webhooks may use plain http (local receivers, tests), comma-separated; others need https. */
  KILN_WEBHOOK_HTTP_ALLOW: csv.default([]),
  /**
   * Hosts whose webhooks may resolve to private, loopback or link-local addresses, comma-separated. Unset: the
   * http allow-list (a host trusted for plain http is a local receiver, on a private address).
   */
  KILN_WEBHOOK_PRIVATE_ALLOW: z.string().optional(),
};

/** The allow-list of the input-image URL policy, which the api checks at create and the worker before fetching. */
export const InputTargetEnv = {
  /**
   * Hosts input image URLs may name although they resolve to private addresses (an internal bucket),
   * comma-separated. The worker needs the same list.
   */
  KILN_INPUT_PRIVATE_ALLOW: z.string().optional(),
};

/** Where the client's address comes from (_shared/http/client_ip.ts): rate limits and audit rows. */
export const ClientIpEnv = {
  /**
   * The header a trusted proxy sets to the client's address (_shared/http/client_ip.ts): hosted Supabase's
   * Cloudflare sets cf-connecting-ip. Never the first x-forwarded-for entry, which clients write.
   */
  KILN_CLIENT_IP_HEADER: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9-]+$/)
    .default("cf-connecting-ip"),
  /** With KILN_CLIENT_IP_HEADER=x-forwarded-for: how many trusted proxies append to it (the entry that far from the right). */
  KILN_TRUSTED_PROXY_HOPS: positiveInt.default(1),
};

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
