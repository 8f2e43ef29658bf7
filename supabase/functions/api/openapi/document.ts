/**
 * The OpenAPI 3.1 document of the API, generated from the routes' zod schemas. Errors that any route can
 * answer, raised by the app's middleware rather than by a route (the per-IP rate limit, body checks, crashes),
 * are added to every operation here, so each operation lists every error a client can get from it.
 */
import { ERROR_CODES, type ErrorCode } from "../../../../shared/errors.ts";
import type { ApiConfig } from "../config.ts";
import type { ApiApp } from "../http/api_types.ts";

export interface ResponseObject {
  description: string;
  content?: Record<string, { schema?: unknown }>;
}
export interface OperationObject {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, ResponseObject>;
}
export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/** Errors of the app's middleware: every operation can answer these… */
const EVERY_OPERATION: ErrorCode[] = ["rate_limited", "internal"];
/** …and every operation with a body these. */
const WITH_BODY: ErrorCode[] = ["invalid_json", "payload_too_large", "unsupported_media_type"];

/** Registers the two ways to authenticate: a Supabase access token, or an API key. */
export function registerSecuritySchemes(app: ApiApp): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Supabase Auth access token, or an API key (`kiln_sk_…`) as the bearer token.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "An API key (`kiln_sk_…`).",
  });
}

/** The document, built on first use (after every route is registered) and kept. */
export function documentSource(app: ApiApp, config: ApiConfig, version: string): () => ApiDocument {
  let built: ApiDocument | undefined;
  return () => {
    built ??= withCommonErrors(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Kiln API",
          version,
          description:
            "Jobs for AI image and video generation on your own GPUs. Errors share one envelope: " +
            "`{error: {code, message, details?, request_id}}`; `code` is stable.",
        },
        servers: [{ url: `${config.SUPABASE_URL}/functions/v1` }],
      }) as unknown as ApiDocument,
    );
    return built;
  };
}

function withCommonErrors(doc: ApiDocument): ApiDocument {
  for (const operations of Object.values(doc.paths)) {
    for (const operation of Object.values(operations)) {
      const codes = operation.requestBody ? [...EVERY_OPERATION, ...WITH_BODY] : EVERY_OPERATION;
      for (const code of codes) addError(operation, code);
    }
  }
  return doc;
}

function addError(operation: OperationObject, code: ErrorCode): void {
  const status = String(ERROR_CODES[code].status);
  const line = `\`${code}\`: ${ERROR_CODES[code].message}`;
  const existing = operation.responses[status];
  if (existing) {
    if (!existing.description.includes(`\`${code}\``)) existing.description += ` ${line}`;
    return;
  }
  operation.responses[status] = {
    description: line,
    // Every route lists some error, so the envelope is always registered (as `Error`, shared/api/error_schema.ts).
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
}
