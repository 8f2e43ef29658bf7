/**
 * Fault injection, so the worker's failure paths can be tested against the simulator: a fault comes from
 * `failNext` (an option, a CLI flag or `setFailNext` at run time; used by the next prompt that starts) or from a
 * marker in any text input of the prompt (a CLIPTextEncode text, hence a job's prompt):
 * - `[sim:oom]`: execution_error at the sampling node, `torch.OutOfMemoryError` as ComfyUI reports it;
 * - `[sim:oom-once]`: the same, only the first time a prompt with that text runs (a retry then succeeds);
 * - `[sim:stall]`: the sampling node never progresses, until the prompt is interrupted;
 * - `[sim:drop-ws]`: the server cuts the client's WebSocket halfway through sampling; the prompt completes.
 */
import type { ComfyGraph } from "../../shared/comfyui/graph.ts";

export const SIM_FAULTS = ["oom", "stall", "drop-ws"] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

/** Node classes a fault strikes (where a GPU does its heavy work); otherwise the last node to run. */
export const HEAVY_NODES = new Set(["KSampler", "ImageUpscaleWithModel"]);

export class FaultInjector {
  private failNext: SimFault | undefined;
  private readonly oomOnceSeen = new Set<string>();

  constructor(failNext?: SimFault) {
    this.failNext = failNext;
  }

  /** Makes the next prompt to start fail with `fault`; undefined cancels. */
  setFailNext(fault: SimFault | undefined): void {
    this.failNext = fault;
  }

  /** The faults of a prompt starting now; consumes `failNext` and a first `[sim:oom-once]`. */
  faultsFor(prompt: ComfyGraph): Set<SimFault> {
    const faults = new Set<SimFault>();
    if (this.failNext) faults.add(this.failNext);
    this.failNext = undefined;
    for (const node of Object.values(prompt)) {
      for (const value of Object.values(node.inputs)) {
        if (typeof value !== "string") continue;
        for (const fault of SIM_FAULTS) if (value.includes(`[sim:${fault}]`)) faults.add(fault);
        if (value.includes("[sim:oom-once]") && !this.oomOnceSeen.has(value)) {
          this.oomOnceSeen.add(value);
          faults.add("oom");
        }
      }
    }
    return faults;
  }
}

/** The exception ComfyUI reports when CUDA runs out of memory, with the tips execution.py appends. */
export function outOfMemory(vramGb: number): { exception_type: string; exception_message: string } {
  const total = vramGb.toFixed(2);
  const message =
    `CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of ${total} GiB of which ` +
    "1.12 GiB is free. Of the allocated memory 19.87 GiB is allocated by PyTorch, and 1.31 GiB is reserved by " +
    "PyTorch but unallocated. If reserved but unallocated memory is large try setting " +
    "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory " +
    "Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)";
  const tips =
    "This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have " +
    "accidentally set the batch_size to a large number.";
  return { exception_type: "torch.OutOfMemoryError", exception_message: `${message}\n${tips}` };
}
