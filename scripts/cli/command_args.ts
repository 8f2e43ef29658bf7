/**
 * What every command shares: its shape (name, one-line summary, help text, run), argument parsing with
 * node:util parseArgs whose refusals become one short usage line, and checked conversions of option values.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UUID_PATTERN } from "../../shared/uuid.ts";
import { type CliIo, UsageError } from "./cli_io.ts";

export interface Command {
  name: string;
  /** One line for `kiln --help`. */
  summary: string;
  /** The whole of `kiln <name> --help`. */
  help: string;
  /** Runs the command; resolves with the exit code. Throws UsageError, ApiError or CliError. */
  run(args: string[], io: CliIo): Promise<number>;
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
type WithHelp<T extends OptionsConfig> = T & { help: { type: "boolean"; short: "h" } };
type Parsed<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<T>; allowPositionals: true; allowNegative: true; strict: true }>
>;

/** parseArgs's messages are long and name its own switches; these say the same in a few words. */
function usageMessage(error: Error & { code?: string }): string {
  const quoted = error.message.match(/'([^']+)'/)?.[1] ?? "";
  const option = quoted.match(/--[\w-]+/)?.[0] ?? quoted.split(" ")[0];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing/.test(error.message) ? `${option} needs a value` : `${option} takes no value`;
    default:
      return error.message;
  }
}

/**
 * Parses a command's `args` with `options` (a `help`/-h switch is added) and checks how many positional
 * arguments there are. Unknown options and missing values are UsageErrors.
 */
export function parseCommandArgs<T extends OptionsConfig>(
  args: string[],
  options: T,
  positionals: { min: number; max: number; names: string } = { min: 0, max: 0, names: "" },
): Parsed<T> & { help: boolean } {
  const all = { ...options, help: { type: "boolean", short: "h" } } as WithHelp<T>;
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, allowNegative: true, strict: true }) as Parsed<T>;
  } catch (error) {
    throw new UsageError(usageMessage(error as Error));
  }
  const help = (parsed.values as { help?: boolean }).help === true;
  if (!help) {
    const count = parsed.positionals.length;
    if (count < positionals.min) throw new UsageError(`missing ${positionals.names}`);
    if (count > positionals.max) {
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`);
    }
  }
  return Object.assign(parsed, { help });
}

/** Prints a command's help on stdout; returns exit code 0. */
export function printHelp(io: CliIo, help: string): number {
  io.stdout.write(`${help}\n`);
  return 0;
}

/** An option's value as a finite number, or undefined when absent; anything else is a UsageError. */
export function numberOption(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined || typeof value === "boolean") return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** `key=value` pairs (the repeatable --param): a value that parses as JSON is taken as JSON, else as text. */
export function keyValues(name: string, pairs: string[] | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--${name} takes key=value, not ${JSON.stringify(pair)}`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {}
    result[pair.slice(0, eq)] = value;
  }
  return result;
}

/** A job id argument: a UUID, checked here so a typo is a usage error rather than a 422 from the API. */
export function jobIdArgument(value: string | undefined): string {
  if (value && UUID_PATTERN.test(value)) return value;
  throw new UsageError(`${JSON.stringify(value ?? "")} is not a job id (a UUID such as 0b7e4f3c-2a51-…)`);
}
