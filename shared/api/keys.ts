/** API keys over the wire: the key record, the bodies that create and change one, and the create response. */
import { z } from "@hono/zod-openapi";
import { SCOPES, Scope } from "./scopes.ts";
import { strictObject } from "./strict_object.ts";

const nameMessage = "name must be text of 1 to 100 characters.";
const rateMessage = "rate_limit_per_minute must be a whole number from 1 to 100000.";
const daysMessage = "expires_in_days must be a whole number from 1 to 3650.";

const KeyName = z
  .string({ error: nameMessage })
  .trim()
  .min(1, nameMessage)
  .max(100, nameMessage)
  .openapi({ description: "A label to recognize the key by.", example: "render farm" });

const KeyScopes = z
  .array(Scope, { error: `scopes must be a list of scopes: ${SCOPES.join(", ")}.` })
  .min(1, "Give the key at least one scope.")
  .refine((scopes) => new Set(scopes).size === scopes.length, "Each scope may appear once.")
  .openapi({ description: "What the key may do.", example: ["jobs:read", "jobs:write"] });

const RatePerMinute = z
  .number({ error: rateMessage })
  .int(rateMessage)
  .min(1, rateMessage)
  .max(100_000, rateMessage)
  .openapi({
    description:
      "Requests per minute for this key, at most its account's budget: a key's limit can only lower what the account allows. The account's budget when absent.",
    example: 120,
  });

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: "The public start of the key, to recognize it by.", example: "kiln_sk_AbC123dEf456" }),
    scopes: z.array(Scope),
    rate_limit_per_minute: z.number().int().nullable(),
    effective_rate_limit_per_minute: z.object({ read: z.number().int(), create: z.number().int() }).openapi({
      description: "What the key may spend per minute of each budget: its own limit, clamped to its account's.",
    }),
    rate_limit_clamped: z.boolean().openapi({
      description:
        "true when the key's own limit is above its account's budget (an administrator lowered it): the account's applies.",
    }),
    expires_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
    last_used_at: z.iso.datetime().nullable().openapi({ description: "Updated at most once a minute." }),
    created_at: z.iso.datetime(),
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKey>;

export const ApiKeyCreateBody = strictObject(
  {
    name: KeyName,
    scopes: KeyScopes,
    expires_in_days: z
      .number({ error: daysMessage })
      .int(daysMessage)
      .min(1, daysMessage)
      .max(3650, daysMessage)
      .optional(),
    expires_at: z.iso
      .datetime({ offset: true, error: "expires_at must be an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z." })
      .optional(),
    rate_limit_per_minute: RatePerMinute.optional(),
  },
  "the body",
)
  .refine((body) => body.expires_in_days === undefined || body.expires_at === undefined, {
    path: ["expires_at"],
    message: "Give expires_in_days or expires_at, not both.",
  })
  .refine((body) => body.expires_at === undefined || Date.parse(body.expires_at) > Date.now(), {
    path: ["expires_at"],
    message: "expires_at must be in the future.",
  })
  .openapi("ApiKeyCreate");
export type ApiKeyCreateBody = z.infer<typeof ApiKeyCreateBody>;

export const ApiKeyCreated = z
  .object({
    key: z.string().openapi({
      description: "The secret. It is shown this once and cannot be retrieved again: store it now.",
      example: "kiln_sk_AbC123dEf456…",
    }),
    api_key: ApiKey,
  })
  .openapi("ApiKeyCreated");

export const ApiKeyUpdateBody = strictObject(
  {
    name: KeyName.optional(),
    scopes: KeyScopes.optional(),
    rate_limit_per_minute: RatePerMinute.nullable()
      .optional()
      .openapi({ description: "Requests per minute for this key; null: the account's budget." }),
  },
  "the body",
)
  .refine((body) => Object.keys(body).length > 0, "Give at least one of name, scopes, rate_limit_per_minute.")
  .openapi("ApiKeyUpdate");
export type ApiKeyUpdateBody = z.infer<typeof ApiKeyUpdateBody>;

export const ApiKeyIdParam = z.object({
  id: z
    .uuid({ error: "id must be an API key id (a UUID)." })
    .openapi({ param: { name: "id", in: "path" }, example: "7d0c6a4e-2f7b-4f7e-9a53-4c1f0f4b5a11" }),
});
