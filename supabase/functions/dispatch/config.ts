/**
 * The dispatcher's configuration, from the same environment as the other functions (validated once, at start):
 * the secret its callers (pg_cron through pg_net, kicks from the api and workers functions, the local stack)
 * present, the allow-lists of the webhook SSRF checks, and how hard it pushes.
 */
import { z } from "zod";
import { FunctionEnv, parseFunctionEnv } from "../../../shared/function_env.ts";
import { type TargetPolicy, targetPolicyOf } from "../../../shared/webhooks/ssrf.ts";
import { ApiConfigSchema } from "../api/config.ts";

const positiveInt = z.coerce.number().int().positive();

export const DispatchConfigSchema = FunctionEnv.extend({
  /** Callers send `Authorization: Bearer <it>`. Unset: every call is refused. */
  KILN_DISPATCH_SECRET: ApiConfigSchema.shape.KILN_DISPATCH_SECRET,
  /** Hosts whose webhooks may use plain http (the API's list). */
  KILN_WEBHOOK_HTTP_ALLOW: ApiConfigSchema.shape.KILN_WEBHOOK_HTTP_ALLOW,
  /** Hosts whose webhooks may resolve to private addresses (the API's list). */
  KILN_WEBHOOK_PRIVATE_ALLOW: ApiConfigSchema.shape.KILN_WEBHOOK_PRIVATE_ALLOW,
  /** How long one delivery attempt may take, response headers and the 1 KB excerpt included. */
  KILN_WEBHOOK_TIMEOUT_MS: positiveInt.default(15_000),
  /** Deliveries in flight at once per dispatcher. */
  KILN_DISPATCH_CONCURRENCY: positiveInt.default(32),
  /** Most deliveries one claim takes. */
  KILN_DISPATCH_BATCH: positiveInt.default(100),
  /**
   * A run claims no more after this long (ms); what is in flight still finishes. With the 15 s timeout this keeps a
   * run under the 30 s that pg_net waits, and far under an Edge Function's wall-clock limit.
   */
  KILN_DISPATCH_BUDGET_MS: positiveInt.default(8_000),
  /** A run with nothing left to send waits this long (ms) for a delivery about to fall due rather than stop. */
  KILN_DISPATCH_LINGER_MS: z.coerce.number().int().min(0).default(1_500),
  KILN_MAX_BODY_BYTES: ApiConfigSchema.shape.KILN_MAX_BODY_BYTES,
});
export type DispatchConfig = z.infer<typeof DispatchConfigSchema>;

/** Parses the environment or throws one Error naming every bad variable. */
export function parseDispatchConfig(env: Record<string, string | undefined>): DispatchConfig {
  return parseFunctionEnv(DispatchConfigSchema, env, "dispatch");
}

/** The SSRF policy the configuration asks for. */
export function targetPolicy(config: DispatchConfig): TargetPolicy {
  return targetPolicyOf(config);
}
