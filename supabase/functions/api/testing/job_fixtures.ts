/**
 * For jobs tests: a worker that is online, a job taken through claim and completion the way a worker takes
 * it (kiln.claim_jobs, kiln.complete_job), and files put into Storage with the service role.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type postgres from "postgres";
import type { ApiHarness } from "./api_harness.ts";

/** A registered worker, seen just now, that runs `jobTypes`. */
export async function onlineWorker(sql: postgres.Sql, jobTypes: string[]): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into public.workers (name, token_prefix, token_hash, job_types, registered_at, last_seen_at)
    values (${`gpu-${randomBytes(3).toString("hex")}`}, ${`kiln_wk_${randomBytes(6).toString("hex")}`},
            ${randomBytes(32).toString("hex")}, ${jobTypes}, now(), now())
    returning id`;
  return id;
}

/** Claims job `id` (bumped to the front of the queue) with a new worker; returns the claim. */
export async function claimJob(sql: postgres.Sql, id: string): Promise<{ workerId: string; token: string }> {
  const [{ type }] = await sql<{ type: string }[]>`
    update public.jobs set priority = 100 where id = ${id} returning type`;
  const workerId = await onlineWorker(sql, [type]);
  const claimed = await sql<{ id: string; fencing_token: string }[]>`
    select id, fencing_token from kiln.claim_jobs(${workerId}, ${[type]}::text[], 1)`;
  assert.equal(claimed[0]?.id, id, "the job to finish should be the one claimed");
  return { workerId, token: claimed[0].fencing_token };
}

/** Claims and completes job `id` with `outputs`, as a worker would. */
export async function completeJob(sql: postgres.Sql, id: string, outputs: unknown[] = []): Promise<void> {
  const { workerId, token } = await claimJob(sql, id);
  await sql`select kiln.complete_job(${id}, ${workerId}, ${token}, ${sql.json(outputs as postgres.JSONValue)})`;
}

/** Puts `bytes` at `bucket`/`path` through the Storage API, as the service role. */
export async function putObject(
  h: ApiHarness,
  bucket: string,
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
  contentType = "image/png",
): Promise<void> {
  const response = await fetch(`${h.target.url}/storage/v1/object/${bucket}/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.target.serviceRoleKey}`, "content-type": contentType },
    body: bytes,
  });
  assert.equal(response.status, 200, await response.text());
}

/** The smallest valid PNG (1×1), for uploads and outputs. */
export const TINY_PNG = Uint8Array.from(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64"),
);
