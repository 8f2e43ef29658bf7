/**
 * The Postgres NOTIFY channels Kiln's SQL and code share (one name each, here).
 * - `kiln_queue`: wakes long-polling claims. NOTIFYed with a job type when a job of that type becomes claimable
 *   (kiln.publish_job_update, or the API after a create commits); the workers function LISTENs.
 * - `kiln_dispatch`: new webhook deliveries (kiln.tg_webhook_deliveries__notify, while kiln.dispatch_notify is on);
 *   the local stack's dispatch loop LISTENs, standing in for the kicks and the cron of a hosted project.
 */
export const QUEUE_CHANNEL = "kiln_queue";
export const DISPATCH_CHANNEL = "kiln_dispatch";
