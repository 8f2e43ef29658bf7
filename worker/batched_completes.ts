/**
 * Completions that ride together. A completion is sent at once when no other is out; those made while one is out
 * wait for it to end and then go as one POST /v1/jobs/complete (one request, one transaction for all of them), so
 * batching never delays a report by more than the call ahead of it, and many slots finishing together cost one
 * call. Each caller gets its own answer, as the one-job call would give it: the job, or the ProtocolError of its
 * refusal (lease_lost, not_found, validation_failed); a failed call is every waiting report's error.
 */
import { ERROR_CODES, type ErrorCode } from "../shared/errors.ts";
import type { CompleteManyRequest, CompleteRequest, ReportResponse } from "../shared/worker_protocol.ts";
import { type ProtocolClient, ProtocolError } from "./protocol_client.ts";

/** As many reports as one call carries (the protocol's own limit). */
const MAX_PER_CALL = 64;

interface Waiting {
  report: CompleteManyRequest["jobs"][number];
  resolve: (answer: ReportResponse) => void;
  reject: (error: unknown) => void;
}

export class BatchedCompletes {
  private readonly waiting: Waiting[] = [];
  private sending = false;
  private readonly protocol: ProtocolClient;

  constructor(protocol: ProtocolClient) {
    this.protocol = protocol;
  }

  /** Reports job `jobId` succeeded with `body`'s outputs; answers as ProtocolClient.complete would. */
  complete(jobId: string, body: CompleteRequest): Promise<ReportResponse> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ report: { id: jobId, ...body }, resolve, reject });
      if (!this.sending) void this.send();
    });
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.nextBatch();
      try {
        const { jobs } = await this.protocol.completeMany({ jobs: batch.map((w) => w.report) });
        const answers = new Map(jobs.map((a) => [a.id, a]));
        for (const { report, resolve, reject } of batch) {
          const answer = answers.get(report.id);
          if (answer?.completed) resolve({ job: answer.job });
          else reject(refusal(report.id, answer));
        }
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.sending = false;
  }

  /** The waiting reports the next call carries: in order, at most the limit, each job once (a second waits its turn). */
  private nextBatch(): Waiting[] {
    const ids = new Set<string>();
    const batch: Waiting[] = [];
    for (let i = 0; i < this.waiting.length && batch.length < MAX_PER_CALL; ) {
      const w = this.waiting[i];
      if (ids.has(w.report.id)) {
        i++;
        continue;
      }
      ids.add(w.report.id);
      batch.push(w);
      this.waiting.splice(i, 1);
    }
    return batch;
  }
}

/** The error the one-job call would have thrown for this answer. */
function refusal(jobId: string, answer?: { code: string; message: string; details?: unknown }): ProtocolError {
  const path = "/jobs/complete";
  if (!answer) return new ProtocolError("invalid_response", 200, `POST ${path}: no answer for job ${jobId}`);
  const status = ERROR_CODES[answer.code as ErrorCode]?.status ?? 500;
  return new ProtocolError(
    answer.code,
    status,
    `POST ${path}: ${jobId}: ${answer.code}: ${answer.message}`,
    answer.details,
  );
}
