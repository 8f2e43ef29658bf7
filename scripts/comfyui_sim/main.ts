/**
 * `npm run comfyui-sim [-- --port 8188 --host 127.0.0.1 --step-ms 50 --checkpoints a,b --upscale-models x,y
 * --vram-gb 24 --fail-next oom|stall|drop-ws --profile comfyui-0.17|comfyui-2024 --success-gap-ms 450
 * --model-load-ms 3000]`: a ComfyUI simulator for development without a GPU. Prints one
 * line with its URL; stops cleanly on SIGINT or SIGTERM.
 */
import { parseArgs } from "node:util";
import { SIM_FAULTS, type SimFault } from "./faults.ts";
import { SIM_PROFILES, type SimProfile, startComfyuiSim } from "./sim.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8188" },
    host: { type: "string", default: "127.0.0.1" },
    "step-ms": { type: "string", default: "50" },
    checkpoints: { type: "string" },
    "upscale-models": { type: "string" },
    "vram-gb": { type: "string", default: "24" },
    "fail-next": { type: "string" },
    profile: { type: "string", default: "comfyui-0.17" },
    "success-gap-ms": { type: "string", default: "0" },
    "model-load-ms": { type: "string", default: "0" },
  },
});

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
const number = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got ${v}`);
  return n;
};
const failNext = values["fail-next"];
if (failNext !== undefined && !SIM_FAULTS.includes(failNext as SimFault)) {
  throw new Error(`--fail-next must be one of ${SIM_FAULTS.join(", ")}`);
}

if (!SIM_PROFILES.includes(values.profile as SimProfile)) {
  throw new Error(`--profile must be one of ${SIM_PROFILES.join(", ")}`);
}

const sim = await startComfyuiSim({
  profile: values.profile as SimProfile,
  successGapMs: number("success-gap-ms", values["success-gap-ms"]),
  modelLoadMs: number("model-load-ms", values["model-load-ms"]),
  port: number("port", values.port),
  host: values.host,
  stepMs: number("step-ms", values["step-ms"]),
  checkpoints: list(values.checkpoints),
  upscaleModels: list(values["upscale-models"]),
  vramGb: number("vram-gb", values["vram-gb"]),
  failNext: failNext as SimFault | undefined,
});
console.log(`ComfyUI simulator listening on ${sim.url} (step ${values["step-ms"]} ms)`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      (error) => {
        console.error(`Stopped with an error: ${error}`);
        process.exit(1);
      },
    );
  });
}
