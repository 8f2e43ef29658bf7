/** The error envelope as a zod schema, and the OpenAPI responses of a route's possible errors. */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorCode } from "../errors.ts";

const codes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(codes).openapi({ description: "Stable, machine-readable error code." }),
      message: z.string().openapi({ description: "What went wrong and what to do about it." }),
      details: z.record(z.string(), z.unknown()).optional().openapi({ description: "Per-field problems, limits…" }),
      request_id: z.string().openapi({ description: "Quote it when reporting a problem." }),
    }),
  })
  .openapi("Error");

/** What any route that needs a caller can answer about the credentials (JWT or API key). */
export const CREDENTIAL_ERRORS = [
  "missing_credentials",
  "invalid_token",
  "token_expired",
  "invalid_api_key",
  "api_key_revoked",
  "api_key_expired",
] as const satisfies readonly ErrorCode[];

/** OpenAPI `responses` entries for the errors a route can answer, grouped by HTTP status. */
export function errorResponses(...errorCodes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join(" "),
        content: { "application/json": { schema: ErrorEnvelopeSchema } },
      },
    ]),
  );
}
