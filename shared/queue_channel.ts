/**
 * The Postgres channel that wakes long-polling claims: NOTIFY `kiln_queue` with a job type when a job of that type
 * becomes claimable (kiln.publish_job_update, or the API after a create commits); the workers function LISTENs.
 */
export const QUEUE_CHANNEL = "kiln_queue";
