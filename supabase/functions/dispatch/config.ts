/**
 * The dispatcher's configuration, from the same environment as the other functions (validated once, at start):
 * the secret its callers (pg_cron through pg_net, kicks from the api and workers functions, the local stack)
 * present, the allow-lists of the webhook SSRF checks, and how hard it pushes.
 */
import { z } from "zod";
import { type TargetPolicy, targetPolicyOf } from "../../../shared/net/url_policy.ts";
import { FunctionEnv, parseFunctionEnv, positiveInt, WebhookTargetEnv } from "../_shared/function_env.ts";

export const DispatchConfigSchema = FunctionEnv.extend({
  ...WebhookTargetEnv,
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
