/** The credits ledger over the wire: one entry per change of a balance. */
import { z } from "@hono/zod-openapi";

export const LedgerEntry = z
  .object({
    id: z.number().int().openapi({ description: "Increases with every entry." }),
    delta: z.number().int().openapi({ description: "Credits added (positive) or taken (negative).", example: -4 }),
    balance_after: z.number().int().openapi({ description: "The balance once this entry applied.", example: 2996 }),
    reason: z.enum(["signup_grant", "admin_grant", "job_charge", "job_refund"]),
    job_id: z.uuid().nullable(),
    note: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("LedgerEntry");
export type LedgerEntry = z.infer<typeof LedgerEntry>;
