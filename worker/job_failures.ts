/**
 * Why a job attempt failed, classified into the protocol's `JobError {code, message, retryable, node?,
 * details?}`. A prompt ComfyUI refuses (400) will fail the same way anywhere: not retryable, with its
 * `node_errors` kept (size-limited). Running out of GPU memory, losing ComfyUI or a network error may pass on
 * another attempt or another machine: retryable. Any other execution error is the graph's fault: not retryable.
 */
import type { JobError } from "../shared/worker_protocol.ts";

/** The JSON budget of `details` in a job error. */
export const MAX_DETAILS_BYTES = 8192;

export class JobFailure extends Error {
  override name = "JobFailure";
  readonly code: string;
  readonly retryable: boolean;
  readonly node?: string;
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    retryable: boolean,
    extra: { node?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.code = code;
    this.retryable = retryable;
    this.node = extra.node;
    this.details = extra.details;
  }

  toJobError(): JobError {
    return {
      code: this.code,
      message: this.message.slice(0, 2000),
      retryable: this.retryable,
      ...(this.node ? { node: this.node.slice(0, 100) } : {}),
      ...(this.details ? { details: limitDetails(this.details) } : {}),
    };
  }
}

/** Any error as a JobFailure: those not classified are retryable `worker_error`s (a bug or a glitch here). */
export function asJobFailure(error: unknown): JobFailure {
  if (error instanceof JobFailure) return error;
  return new JobFailure("worker_error", `the worker failed: ${String(error)}`, true);
}

/** POST /prompt answered 400: the graph does not validate on this ComfyUI. */
export function validationFailure(body: unknown): JobFailure {
  const b = (typeof body === "object" && body !== null ? body : {}) as {
    error?: { type?: unknown; message?: unknown; details?: unknown; extra_info?: Record<string, unknown> } | string;
    node_errors?: Record<string, { errors?: Array<{ message?: unknown; details?: unknown }>; class_type?: unknown }>;
  };
  const error = typeof b.error === "string" ? { message: b.error } : (b.error ?? {});
  const nodeErrors = b.node_errors ?? {};
  const missing = missingNodeType(error);
  if (missing) {
    return new JobFailure(
      "missing_node_type",
      `the graph needs node type ${missing.classType} (node ${missing.node}), which is not installed on this worker's ComfyUI`,
      false,
      { node: missing.node, details: { error, class_type: missing.classType } },
    );
  }
  const [node, first] = Object.entries(nodeErrors)[0] ?? [];
  const firstError = first?.errors?.[0];
  // ComfyUI's message says what is wrong; its details often only where ("Node ID '#1'").
  const summary = firstError
    ? `node ${node} (${String(first?.class_type)}): ${String(firstError.message)}${firstError.details ? `: ${String(firstError.details)}` : ""}`
    : String(error.message || error.details || "the prompt is not valid");
  return new JobFailure("comfyui_validation", `ComfyUI refused the graph: ${summary}`, false, {
    ...(node ? { node } : {}),
    details: { error, node_errors: nodeErrors },
  });
}

/**
 * The node type a refusal says is not installed: 0.17's `missing_node_type` (its extra_info names it), or an older
 * server's `invalid_prompt` "Cannot execute because node X does not exist." (its details name the node).
 */
function missingNodeType(error: {
  type?: unknown;
  message?: unknown;
  details?: unknown;
  extra_info?: Record<string, unknown>;
}): { classType: string; node: string } | undefined {
  const node = /#([^']*)'/.exec(String(error.details ?? ""))?.[1] ?? "?";
  if (error.type === "missing_node_type") {
    const classType = error.extra_info?.class_type ?? /Node '(.+)' not found/.exec(String(error.message))?.[1];
    const id = error.extra_info?.node_id;
    return { classType: String(classType ?? "?"), node: typeof id === "string" ? id : node };
  }
  const old = /^Cannot execute because node (.+) does not exist\.$/.exec(String(error.message ?? ""));
  return old ? { classType: old[1], node } : undefined;
}

/** Whether an execution_error is CUDA/torch running out of memory. */
export function isOutOfMemory(data: Record<string, unknown>): boolean {
  const text = `${String(data.exception_type ?? "")} ${String(data.exception_message ?? "")}`;
  return /OutOfMemory|out of memory|OOM when allocating/i.test(text);
}

/** An `execution_error` (from the WebSocket or the history's status messages). */
export function executionFailure(data: Record<string, unknown>): JobFailure {
  const node = typeof data.node_id === "string" ? data.node_id : undefined;
  const nodeType = typeof data.node_type === "string" ? data.node_type : "node";
  const type = String(data.exception_type ?? "Exception");
  const message = String(data.exception_message ?? "").trim();
  const details = { exception_type: type, node_type: nodeType };
  if (isOutOfMemory(data)) {
    return new JobFailure(
      "out_of_memory",
      `ComfyUI ran out of GPU memory in ${nodeType} ${node ?? ""}: ${message}`,
      true,
      {
        ...(node ? { node } : {}),
        details,
      },
    );
  }
  return new JobFailure("comfyui_execution_error", `${nodeType} ${node ?? ""} failed: ${type}: ${message}`, false, {
    ...(node ? { node } : {}),
    details: { ...details, traceback: Array.isArray(data.traceback) ? data.traceback.slice(-5) : undefined },
  });
}

/**
 * `details` within MAX_DETAILS_BYTES of JSON: whole if it fits, else each top-level value that fits (the rest
 * named in `truncated`), else just the list of keys.
 */
export function limitDetails(details: Record<string, unknown>, maxBytes = MAX_DETAILS_BYTES): Record<string, unknown> {
  const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v) ?? "").length;
  if (size(details) <= maxBytes) return details;
  const kept: Record<string, unknown> = {};
  const truncated: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (size({ ...kept, [key]: value, truncated: [...truncated, key] }) <= maxBytes) kept[key] = value;
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      const inner = limitDetails(value as Record<string, unknown>, Math.floor((maxBytes - size(kept)) / 2));
      if (size({ ...kept, [key]: inner }) <= maxBytes) kept[key] = inner;
      else truncated.push(key);
    } else truncated.push(key);
  }
  const result = { ...kept, truncated };
  return size(result) <= maxBytes ? result : { truncated: Object.keys(details) };
}
