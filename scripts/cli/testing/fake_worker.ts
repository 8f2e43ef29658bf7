/**
 * A stand-in for the GPU worker in the client's tests: a registered worker row (with a real worker token's prefix
 * and hash) that drives a job through the lifecycle SQL as the workers function would: kiln.claim_jobs,
 * kiln.heartbeat with phase and progress, an output PNG put into the `outputs` bucket with the service role, and
 * kiln.complete_job, kiln.fail_job or kiln.report_canceled.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type postgres from "postgres";
import { newWorkerToken } from "../../../supabase/functions/_shared/auth/worker_tokens.ts";
import type { StackTarget } from "../../testing/test_stack.ts";

export interface HeldJob {
  id: string;
  ownerId: string;
  token: string;
}

/** Waits until `condition` holds, checking every 20 ms; throws after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class FakeWorker {
  readonly #sql: postgres.Sql;
  readonly #target: StackTarget;
  readonly id: string;

  private constructor(sql: postgres.Sql, target: StackTarget, id: string) {
    this.#sql = sql;
    this.#target = target;
    this.id = id;
  }

  /** Registers a worker that runs `jobTypes`. */
  static async register(sql: postgres.Sql, target: StackTarget, jobTypes = ["txt2img"]): Promise<FakeWorker> {
    const { prefix, hash } = newWorkerToken();
    const [{ id }] = await sql<{ id: string }[]>`
      insert into public.workers (name, token_prefix, token_hash, job_types, registered_at, last_seen_at)
      values ('cli-test-worker', ${prefix}, ${hash}, ${jobTypes}, now(), now())
      returning id`;
    return new FakeWorker(sql, target, id);
  }

  /** Waits for a queued job of `ownerId` and claims it (bumped ahead of any other test's leftovers). */
  async claimFor(ownerId: string, timeoutMs = 10_000): Promise<HeldJob> {
    const sql = this.#sql;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      const [job] = await sql<{ id: string; type: string }[]>`
        update public.jobs set priority = 100
         where id = (select id from public.jobs where owner_id = ${ownerId} and status = 'queued' order by created_at limit 1)
        returning id, type`;
      if (job) {
        const claimed = await sql<{ id: string; fencing_token: string }[]>`
          select id, fencing_token from kiln.claim_jobs(${this.id}, ${[job.type]}::text[], 1)`;
        assert.equal(claimed[0]?.id, job.id, "the claim should take the job that was bumped");
        return { id: job.id, ownerId, token: claimed[0].fencing_token };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no queued job of ${ownerId} within ${timeoutMs} ms`);
  }

  /** Reports phase and progress; resolves with whether the owner asked to cancel. */
  async heartbeat(job: HeldJob, phase: string, progress?: Record<string, unknown>): Promise<boolean> {
    const json = progress ? this.#sql.json(progress as postgres.JSONValue) : null;
    const [{ answer }] = await this.#sql<{ answer: { cancel_requested: boolean } }[]>`
      select kiln.heartbeat(${job.id}, ${this.id}, ${job.token}, ${phase}::public.job_phase, ${json}) as answer`;
    return answer.cancel_requested;
  }

  /** Puts `png` into outputs/<owner>/<job>/out.png with the service role and completes the job with it. */
  async complete(job: HeldJob, png: Uint8Array<ArrayBuffer>, size: { width: number; height: number }): Promise<string> {
    const path = `${job.ownerId}/${job.id}/out.png`;
    const response = await fetch(`${this.#target.url}/storage/v1/object/outputs/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.#target.serviceRoleKey}`, "content-type": "image/png" },
      body: png,
    });
    assert.equal(response.status, 200, await response.text());
    const output = {
      path,
      content_type: "image/png",
      size: png.length,
      sha256: createHash("sha256").update(png).digest("hex"),
      ...size,
    };
    await this.#sql`select kiln.complete_job(${job.id}, ${this.id}, ${job.token}, ${this.#sql.json([output])})`;
    return path;
  }

  /** Fails the attempt with `error` ({code, message, retryable}). */
  async fail(job: HeldJob, error: { code: string; message: string; retryable: boolean }): Promise<void> {
    await this.#sql`select kiln.fail_job(${job.id}, ${this.id}, ${job.token}, ${this.#sql.json(error)})`;
  }

  /** Ends a job whose owner asked to cancel, as canceled. */
  async reportCanceled(job: HeldJob): Promise<void> {
    await this.#sql`select kiln.report_canceled(${job.id}, ${this.id}, ${job.token})`;
  }
}
