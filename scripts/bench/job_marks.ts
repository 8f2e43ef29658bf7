/**
 * The worker's instrumentation marks (worker/run_job.ts `JobMark`) of each job, as the `worker` section collects
 * them through `onJobMark`, and the per-job overheads computed from them. One run per job: nothing fails there.
 */
import type { JobMark } from "../../worker/run_job.ts";

type Marks = Partial<Record<JobMark, number>> & { putMs: number };

export class JobMarks {
  private readonly marks = new Map<string, Marks>();
  private readonly waiters = new Map<string, () => void>();

  /** The worker's hook: records `mark` of `jobId` at `atMs` (performance.now()); Storage PUTs are summed. */
  readonly record = (jobId: string, mark: JobMark, atMs: number): void => {
    const times = this.marks.get(jobId) ?? { putMs: 0 };
    this.marks.set(jobId, times);
    if (mark === "put_done") times.putMs += atMs - (times.put_started ?? atMs);
    times[mark] = atMs;
    this.waiters.get(`${jobId} ${mark}`)?.();
  };

  /** Resolves with the time job `jobId` reached `mark`; rejects after `timeoutMs`. */
  async until(jobId: string, mark: JobMark, timeoutMs = 10_000): Promise<number> {
    const key = `${jobId} ${mark}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.marks.get(jobId)?.[mark] !== undefined) return resolve();
        this.waiters.set(key, resolve);
        timer = setTimeout(() => reject(new Error(`job ${jobId} did not reach ${mark} in ${timeoutMs} ms`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.waiters.delete(key);
    }
    return this.marks.get(jobId)?.[mark] as number;
  }

  /**
   * Kiln's overheads for `ids`, in ms: claim answered → `POST /prompt` answered (`queue`), and `executing
   * {node: null}` seen → `complete` answered, less the Storage PUTs (`finish`) and with them (`finishWithPut`).
   */
  overheads(ids: readonly string[]): { queue: number[]; finish: number[]; finishWithPut: number[] } {
    const out = { queue: [] as number[], finish: [] as number[], finishWithPut: [] as number[] };
    for (const id of ids) {
      const t = this.marks.get(id);
      if (t?.claimed === undefined || t.prompt_queued === undefined) continue;
      out.queue.push(t.prompt_queued - t.claimed);
      if (t.comfy_done === undefined || t.reported === undefined) continue;
      out.finishWithPut.push(t.reported - t.comfy_done);
      out.finish.push(t.reported - t.comfy_done - t.putMs);
    }
    return out;
  }
}
