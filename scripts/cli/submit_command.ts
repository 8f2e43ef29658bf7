/**
 * `kiln submit`: turns options into SubmitOptions for submitAndWait (submit_job.ts). Named options map to the job
 * type's params (--negative → negative_prompt…); --param key=value sets any other. The API validates the params
 * (shared/job_types is the one source of their limits), so this front end only checks that numbers are numbers.
 * --wait is on by default when stdout is a terminal and off otherwise, so scripts get the id back at once unless
 * they ask to wait.
 */
import type { CliIo } from "./cli_io.ts";
import { type Command, keyValues, numberOption, parseCommandArgs, printHelp } from "./command_args.ts";
import { submitAndWait } from "./submit_job.ts";

const OPTIONS = {
  type: { type: "string", short: "t", default: "txt2img" },
  prompt: { type: "string", short: "p" },
  negative: { type: "string" },
  width: { type: "string" },
  height: { type: "string" },
  steps: { type: "string" },
  cfg: { type: "string" },
  seed: { type: "string" },
  batch: { type: "string" },
  sampler: { type: "string" },
  scheduler: { type: "string" },
  checkpoint: { type: "string" },
  image: { type: "string" },
  denoise: { type: "string" },
  scale: { type: "string" },
  model: { type: "string" },
  workflow: { type: "string" },
  param: { type: "string", multiple: true },
  priority: { type: "string" },
  wait: { type: "boolean" },
  out: { type: "string", short: "o" },
  json: { type: "boolean" },
} as const;

/** Option name → param name, for the options that are numbers. */
const NUMBER_PARAMS = {
  width: "width",
  height: "height",
  steps: "steps",
  cfg: "cfg",
  seed: "seed",
  batch: "batch_size",
  denoise: "denoise",
  scale: "scale",
} as const;

/** Option name → param name, for the options that are text. */
const TEXT_PARAMS = {
  prompt: "prompt",
  negative: "negative_prompt",
  sampler: "sampler",
  scheduler: "scheduler",
  checkpoint: "checkpoint",
  model: "model",
} as const;

const HELP = `Usage: kiln submit [--type txt2img] --prompt "…" [options]

Creates a job through the API (POST /v1/jobs) with KILN_API_KEY and prints its id, queue position and any
warnings. With --wait it shows progress (over Realtime when signed in, else by polling), then saves the outputs.

Job:
  -t, --type <type>        txt2img (default), img2img, upscale or workflow
  -p, --prompt <text>      what to generate
      --negative <text>    negative prompt
      --width <px>         --height <px>   multiples of 8, 64 to 2048 (default 1024)
      --steps <n>          --cfg <x>       --seed <n>      --batch <n>
      --sampler <name>     --scheduler <name>
      --checkpoint <file>  checkpoint file name (default: the worker's)
      --image <file|url>   input of img2img and upscale: a local PNG/JPEG/WebP (uploaded) or an https URL
      --denoise <0..1>     img2img: how much of the image changes (default 0.75)
      --scale <2|4>        --model <file>  upscale factor and model
      --workflow <id>      workflow jobs: the stored workflow; the options above become its inputs
      --param key=value    any other param (repeatable; JSON values allowed, e.g. --param batch_size=2)
      --priority <n>       -100 to 100 (default 0)

Waiting:
      --wait, --no-wait    follow the job to the end (default: on when stdout is a terminal or --out is given)
  -o, --out <folder>       where outputs go (default ./kiln-outputs/<job id>)
      --json               print the job as JSON (with --wait: its final state and the saved files)

Exit codes: 0 submitted or succeeded, 1 API error, 2 bad usage, 3 job failed, 4 job canceled, 130 Ctrl-C.

Example:
  npm run kiln -- submit --prompt "a kiln at dusk" --width 512 --height 512 --wait`;

export const submitCommand: Command = {
  name: "submit",
  summary: "create a job; with --wait, follow it and save its outputs",
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, help } = parseCommandArgs(args, OPTIONS);
    if (help) return printHelp(io, HELP);
    const params: Record<string, unknown> = keyValues("param", values.param);
    for (const [option, param] of Object.entries(NUMBER_PARAMS)) {
      const n = numberOption(option, values[option as keyof typeof NUMBER_PARAMS]);
      if (n !== undefined) params[param] = n;
    }
    for (const [option, param] of Object.entries(TEXT_PARAMS)) {
      const text = values[option as keyof typeof TEXT_PARAMS];
      if (text !== undefined) params[param] = text;
    }
    const result = await submitAndWait(
      {
        type: values.type,
        params,
        workflowId: values.workflow,
        image: values.image,
        priority: numberOption("priority", values.priority),
        wait: values.wait ?? (values.out !== undefined || io.stdout.isTTY === true),
        outDir: values.out,
        json: values.json,
      },
      io,
    );
    return result.exitCode;
  },
};
