/**
 * The checks ComfyUI's execution.validate_inputs makes on one literal input: conversion to the declared type
 * (Python's int()/float()/str()/bool(), with Python's error messages), min/max, and membership of a combo list.
 * Messages and `details` are formatted the way Python prints them ("Value 0 smaller than min of 1",
 * "ckpt_name: 'x' not in ['a', 'b']"), since clients show them as they come.
 */
import type { InputOptions, InputType } from "../../shared/comfyui/nodes.ts";
import { SEED_MAX } from "../../shared/comfyui/nodes.ts";

export interface InputError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

const pyType = (v: unknown) =>
  v === null
    ? "NoneType"
    : Array.isArray(v)
      ? "list"
      : typeof v === "object"
        ? "dict"
        : typeof v === "string"
          ? "str"
          : "float";

/** A number as Python prints an int or a float (2⁶⁴ is printed as the seed maximum it stands for). */
export function pyNumber(v: number, float: boolean): string {
  if (v === SEED_MAX) return "18446744073709551615";
  if (float && Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

/** Python's str() of a JSON value, enough for error details. */
export function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return pyNumber(v, !Number.isInteger(v));
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === "string" ? `'${x}'` : pyStr(x))).join(", ")}]`;
  return JSON.stringify(v);
}

/** The value after Python's conversion for `type`, or the exception message Python would raise. */
function convert(type: InputType, v: unknown): { value: unknown } | { error: string } {
  if (type === "INT") {
    if (typeof v === "boolean") return { value: Number(v) };
    if (typeof v === "number") {
      return Number.isFinite(v) ? { value: Math.trunc(v) } : { error: `cannot convert float ${v} to integer` };
    }
    if (typeof v === "string") {
      const s = v.trim().replaceAll("_", "");
      return /^[-+]?\d+$/.test(s) ? { value: Number(s) } : { error: `invalid literal for int() with base 10: '${v}'` };
    }
    return { error: `int() argument must be a string, a bytes-like object or a real number, not '${pyType(v)}'` };
  }
  if (type === "FLOAT") {
    if (typeof v === "boolean") return { value: Number(v) };
    if (typeof v === "number") return { value: v };
    if (typeof v === "string") {
      const n = Number(v.trim());
      return v.trim() !== "" && !Number.isNaN(n)
        ? { value: n }
        : { error: `could not convert string to float: '${v}'` };
    }
    return { error: `float() argument must be a string or a real number, not '${pyType(v)}'` };
  }
  if (type === "STRING") return { value: pyStr(v) };
  if (type === "BOOLEAN") {
    const empty = Array.isArray(v)
      ? v.length === 0
      : typeof v === "object" && v !== null && Object.keys(v).length === 0;
    return { value: Boolean(v) && !empty };
  }
  return { value: v };
}

/**
 * Checks literal `value` of input `name` declared as `[type, options]`; returns the converted value, or the
 * error. `customValidated` inputs skip min/max/list checks, as ComfyUI leaves them to VALIDATE_INPUTS.
 */
export function checkLiteral(
  name: string,
  type: InputType,
  options: InputOptions,
  raw: unknown,
  customValidated: boolean,
): { value: unknown } | { error: InputError } {
  const value =
    typeof raw === "object" && raw !== null && "__value__" in raw ? (raw as { __value__: unknown }).__value__ : raw;
  const converted = convert(type, value);
  const inputConfig = [type, options]; // ComfyUI reports (input_type, extra_info)
  if ("error" in converted) {
    return {
      error: {
        type: "invalid_input_type",
        message: `Failed to convert an input value to a ${pyStr(type)} value`,
        details: `${name}, ${pyStr(value)}, ${converted.error}`,
        extra_info: {
          input_name: name,
          input_config: inputConfig,
          received_value: value,
          exception_message: converted.error,
        },
      },
    };
  }
  const v = converted.value;
  if (customValidated) return { value: v };
  const float = type === "FLOAT";
  const extra = { input_name: name, input_config: inputConfig, received_value: v };
  if (typeof v === "number" && options.min !== undefined && v < options.min) {
    const message = `Value ${pyNumber(v, float)} smaller than min of ${pyNumber(options.min, float)}`;
    return { error: { type: "value_smaller_than_min", message, details: name, extra_info: extra } };
  }
  if (typeof v === "number" && options.max !== undefined && v > options.max) {
    const message = `Value ${pyNumber(v, float)} bigger than max of ${pyNumber(options.max, float)}`;
    return { error: { type: "value_bigger_than_max", message, details: name, extra_info: extra } };
  }
  if (Array.isArray(type) && !type.includes(v as string)) {
    const long = type.length > 20;
    return {
      error: {
        type: "value_not_in_list",
        message: "Value not in list",
        details: `${name}: '${pyStr(v)}' not in ${long ? `(list of length ${type.length})` : pyStr(type)}`,
        extra_info: { ...extra, input_config: long ? null : inputConfig },
      },
    };
  }
  return { value: v };
}
