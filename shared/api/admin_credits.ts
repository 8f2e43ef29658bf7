/** POST /v1/admin/credits: an administrator's grant (or correction) of an account's credits, with its reason. */
import { z } from "@hono/zod-openapi";
import { strictObject } from "./strict_object.ts";

export const AdminCreditGrantBody = strictObject(
  {
    user_id: z.uuid().openapi({ description: "The account to credit." }),
    amount: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
      .refine((n) => n !== 0, "amount must not be 0")
      .openapi({ description: "Credits to add; negative takes credits back (never below 0).", example: 500 }),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .openapi({ description: "Why; kept in the ledger and the audit log.", example: "Refund for outage" }),
  },
  "the grant",
).openapi("AdminCreditGrant");
export type AdminCreditGrantBody = z.infer<typeof AdminCreditGrantBody>;

export const AdminCreditGranted = z
  .object({
    user_id: z.uuid(),
    amount: z.number().int(),
    balance: z.number().int().openapi({ description: "The account's balance after the grant." }),
  })
  .openapi("AdminCreditGranted");
