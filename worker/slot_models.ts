/**
 * Which checkpoint each slot's ComfyUI has loaded (the one its last job used), reported with every claim so the
 * claim prefers jobs that need no reload, and which free slot takes which claimed job: one that has its checkpoint
 * loaded, else an empty one, else any.
 */
import { ANY_MODEL } from "../shared/comfyui/requirements.ts";
import type { ClaimedJob } from "../shared/worker_protocol.ts";

export interface ModelSlot {
  /** The checkpoint its last job loaded; undefined until one ran. */
  loaded?: string;
}

/** The checkpoint `job` makes ComfyUI load: the one it names, `default` for "any", undefined when it uses none. */
export function checkpointOf(job: Pick<ClaimedJob, "checkpoints">, fallback: string | undefined): string | undefined {
  const named = job.checkpoints.find((c) => c !== ANY_MODEL);
  return named ?? (job.checkpoints.includes(ANY_MODEL) ? fallback : undefined);
}

/** The checkpoints loaded in `slots`, each once. */
export function loadedModels(slots: readonly ModelSlot[]): string[] {
  return [...new Set(slots.flatMap((s) => (s.loaded ? [s.loaded] : [])))];
}

/** Pairs each of `jobs` (at most as many as `free`) with a free slot, sparing reloads where it can. */
export function assignSlots<S extends ModelSlot>(free: readonly S[], jobs: readonly ClaimedJob[]): [S, ClaimedJob][] {
  const left = [...free];
  const take = (index: number) => left.splice(index, 1)[0];
  const pairs: [S, ClaimedJob][] = [];
  // Jobs naming a checkpoint a slot has loaded take those slots first, so the others do not take them.
  const order = [...jobs].sort((a, b) => Number(!matches(free, a)) - Number(!matches(free, b)));
  for (const job of order) {
    const named = job.checkpoints.find((c) => c !== ANY_MODEL);
    const same = left.findIndex((s) => named !== undefined && s.loaded === named);
    // Else an empty slot, else the first (findIndex's -1 becomes 0).
    const other = Math.max(
      left.findIndex((s) => s.loaded === undefined),
      0,
    );
    pairs.push([take(same >= 0 ? same : other), job]);
  }
  return pairs;
}

function matches(slots: readonly ModelSlot[], job: ClaimedJob): boolean {
  return slots.some((s) => s.loaded !== undefined && job.checkpoints.includes(s.loaded));
}
