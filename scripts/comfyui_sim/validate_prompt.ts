/**
 * POST /prompt's validation, after ComfyUI's execution.validate_prompt / validate_inputs: every node's class
 * must exist, there must be an output node, and each output's inputs are checked recursively through its links.
 * Outputs that fail are dropped; only when none is left is the prompt refused (400). The errors have ComfyUI's
 * types and messages, and node_errors is aggregated by the same loop, quirks included.
 * Two simplifications: a link to a missing node or slot is reported as `bad_linked_input` (ComfyUI raises a
 * KeyError there), and a cycle as `exception_during_inner_validation` (ComfyUI overflows its recursion).
 */
import { type ComfyGraph, isLink } from "../../shared/comfyui/graph.ts";
import type { InputSpec, NodeDefinition } from "../../shared/comfyui/nodes.ts";
import { checkLiteral, type InputError, pyStr } from "./input_checks.ts";

export interface NodeErrors {
  errors: InputError[];
  dependent_outputs: string[];
  class_type: string;
}

export type PromptError = InputError;

export type Validation =
  | { ok: true; prompt: ComfyGraph; outputs: string[]; nodeErrors: Record<string, NodeErrors> }
  | { ok: false; error: PromptError; nodeErrors: Record<string, NodeErrors> };

export interface ValidationContext {
  catalog: Record<string, NodeDefinition>;
  /** 0.17 names an unknown node type `missing_node_type`; the 2024 server said `invalid_prompt`. */
  profile: "comfyui-0.17" | "comfyui-2024";
  /** LoadImage's VALIDATE_INPUTS: whether an input file (maybe "sub/x.png [input]") exists. */
  inputImageExists(name: string): boolean;
}

/** Inputs that a node's VALIDATE_INPUTS checks instead of the combo list: an error message or true. */
const CUSTOM: Record<string, Record<string, (value: unknown, ctx: ValidationContext) => true | string>> = {
  LoadImage: { image: (v, ctx) => ctx.inputImageExists(pyStr(v)) || `Invalid image file: ${pyStr(v)}` },
};

const refused = (type: string, message: string, details: string): Validation => ({
  ok: false,
  error: { type, message, details, extra_info: {} },
  nodeErrors: {},
});

/** Validates `raw` (a prompt as posted); a valid result carries the prompt with its literals converted. */
export function validatePrompt(raw: unknown, ctx: ValidationContext, partialTargets?: unknown): Validation {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return refused(
      "invalid_prompt",
      "Cannot execute because a node is missing the class_type property.",
      "Node ID '#'",
    );
  }
  const prompt = structuredClone(raw) as ComfyGraph;
  const targets = Array.isArray(partialTargets) ? partialTargets.map(String) : undefined;
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    const classType = (node as { class_type?: unknown } | null)?.class_type;
    if (typeof classType !== "string") {
      const message = "Cannot execute because a node is missing the class_type property.";
      return refused("invalid_prompt", message, `Node ID '#${id}'`);
    }
    const def = ctx.catalog[classType];
    if (!def && ctx.profile === "comfyui-2024") {
      return refused("invalid_prompt", `Cannot execute because node ${classType} does not exist.`, `Node ID '#${id}'`);
    }
    if (!def) {
      const title = (node as { _meta?: { title?: unknown } })._meta?.title;
      return {
        ok: false,
        error: {
          type: "missing_node_type",
          message: `Node '${classType}' not found. The custom node may not be installed.`,
          details: `Node ID '#${id}'`,
          extra_info: { node_id: id, class_type: classType, node_title: typeof title === "string" ? title : classType },
        },
        nodeErrors: {},
      };
    }
    if (typeof node.inputs !== "object" || node.inputs === null) node.inputs = {};
    if (def.output_node && (!targets || targets.includes(id))) outputs.push(id);
  }
  if (outputs.length === 0) return refused("prompt_no_outputs", "Prompt has no outputs", "");

  const validated = new Map<string, { valid: boolean; errors: InputError[] }>();
  const visiting = new Set<string>();

  /** validate_inputs: this node's own errors, and whether everything upstream is valid. */
  const validate = (id: string): boolean => {
    const known = validated.get(id);
    if (known) return known.valid;
    visiting.add(id);
    const node = prompt[id];
    const def = ctx.catalog[node.class_type];
    const custom = CUSTOM[node.class_type] ?? {};
    const specs: Record<string, InputSpec> = { ...def.input.required, ...def.input.optional };
    const errors: InputError[] = [];
    let valid = true;
    for (const [name, spec] of Object.entries(specs)) {
      const [type, options = {}] = spec;
      const inputConfig = [type, options]; // ComfyUI reports (input_type, extra_info)
      if (!(name in node.inputs)) {
        if (name in def.input.required) {
          errors.push({
            type: "required_input_missing",
            message: "Required input is missing",
            details: name,
            extra_info: { input_name: name },
          });
        }
        continue;
      }
      const value = node.inputs[name];
      if (Array.isArray(value)) {
        const source = isLink(value) ? prompt[value[0]] : undefined;
        if (isLink(value) && !source) {
          // ComfyUI looks the linked node up and raises KeyError, which validate_prompt reports as it is.
          errors.push({
            type: "exception_during_validation",
            message: "Exception when validating node",
            details: `'${value[0]}'`,
            extra_info: {
              exception_type: "KeyError",
              traceback: [`  File "execution.py", in validate_inputs\n    o_class_type = prompt[o_id]['class_type']\n`],
            },
          });
          continue;
        }
        const received = source ? ctx.catalog[source.class_type].output[value[1]] : undefined;
        if (value.length !== 2 || !source || received === undefined) {
          errors.push({
            type: "bad_linked_input",
            message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
            details: name,
            extra_info: { input_name: name, input_config: inputConfig, received_value: value },
          });
          continue;
        }
        if (!typesMatch(received, type)) {
          errors.push({
            type: "return_type_mismatch",
            message: "Return type mismatch between linked nodes",
            details: `${name}, received_type(${received}) mismatch input_type(${pyStr(type)})`,
            extra_info: { input_name: name, input_config: inputConfig, received_type: received, linked_node: value },
          });
          continue;
        }
        const sourceId = value[0] as string;
        if (visiting.has(sourceId)) {
          errors.push({
            type: "exception_during_inner_validation",
            message: "Exception when validating inner node",
            details: "maximum recursion depth exceeded",
            extra_info: { input_name: name, exception_type: "RecursionError", linked_node: value },
          });
          continue;
        }
        if (!validate(sourceId)) valid = false;
        continue;
      }
      const checked = checkLiteral(name, type, options, value, name in custom);
      if ("error" in checked) {
        errors.push(checked.error);
        continue;
      }
      node.inputs[name] = checked.value;
    }
    for (const [name, check] of Object.entries(custom)) {
      if (!(name in node.inputs) || Array.isArray(node.inputs[name])) continue;
      const result = check(node.inputs[name], ctx);
      if (result !== true) {
        errors.push({
          type: "custom_validation_failed",
          message: "Custom validation failed for node",
          details: `${name} - ${result}`,
          extra_info: { input_name: name },
        });
      }
    }
    visiting.delete(id);
    const ok = valid && errors.length === 0;
    validated.set(id, { valid: ok, errors });
    return ok;
  };

  const good: string[] = [];
  const outputErrors: InputError[] = [];
  const nodeErrors: Record<string, NodeErrors> = {};
  for (const output of outputs) {
    if (validate(output)) {
      good.push(output);
      continue;
    }
    outputErrors.push(...(validated.get(output)?.errors ?? []));
    for (const [id, result] of validated) {
      if (result.valid || result.errors.length === 0) continue;
      nodeErrors[id] ??= { errors: result.errors, dependent_outputs: [], class_type: prompt[id].class_type };
      nodeErrors[id].dependent_outputs.push(output);
    }
  }
  if (good.length === 0) {
    return {
      ok: false,
      error: {
        type: "prompt_outputs_failed_validation",
        message: "Prompt outputs failed validation",
        details: outputErrors.map((e) => `${e.message}: ${e.details}`).join("\n"),
        extra_info: {},
      },
      nodeErrors,
    };
  }
  return { ok: true, prompt, outputs: good, nodeErrors };
}

/** comfy_execution.validation.validate_node_input: equal, a `*` wildcard, or overlapping comma-separated types. */
function typesMatch(received: string, expected: InputSpec[0]): boolean {
  if (received === expected) return true;
  if (typeof expected !== "string") return false;
  const got = received.split(",").map((t) => t.trim());
  const want = expected.split(",").map((t) => t.trim());
  return got.includes("*") || want.includes("*") || got.some((t) => want.includes(t));
}
