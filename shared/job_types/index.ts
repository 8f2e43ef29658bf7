/** Every job type Kiln runs, by name: its params schema and its price. */
import { img2img } from "./img2img.ts";
import type { JobTypeDefinition } from "./job_type.ts";
import { txt2img } from "./txt2img.ts";
import { upscale } from "./upscale.ts";
import { workflow } from "./workflow.ts";

export const JOB_TYPES = ["txt2img", "img2img", "upscale", "workflow"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_TYPE_DEFINITIONS: Readonly<Record<JobType, JobTypeDefinition>> = {
  txt2img,
  img2img,
  upscale,
  workflow,
};

export type { CheckedParams, JobTypeDefinition } from "./job_type.ts";
