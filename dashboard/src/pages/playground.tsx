/**
 * The Playground: a job type (or a stored workflow), its params as a form generated from the api's
 * `/openapi.json`, an input image by upload where the type takes one, Generate; then the job live over Realtime
 * (phase, a progress bar, step and ETA, queue position, the "no worker can run this" warning) and its outputs as
 * they land.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import { type Api, ApiError } from "../api.ts";
import { type Job, JobProgress, Outputs } from "../job_view.tsx";
import { resolved, type Schema, SchemaForm } from "../schema_form.tsx";
import { Failure, useAction } from "../ui.tsx";
import { useLiveJob } from "../use_live_job.ts";

/** Job type → the component schema of its params, as the API document names them. */
const PARAMS_SCHEMAS: Record<string, string> = {
  txt2img: "Txt2ImgParams",
  img2img: "Img2ImgParams",
  upscale: "UpscaleParams",
  workflow: "WorkflowParams",
};

interface Workflow {
  id: string;
  name: string;
  job_type: string;
}

/** Uploads `file` through POST /v1/uploads and its signed URL; resolves with the `upload:<id>` to put in params. */
async function upload(api: Api, file: File): Promise<string> {
  const slot = await api.call<{ ref: string; signed_url: string }>("POST", "/v1/uploads", {
    content_type: file.type,
    size: file.size,
  });
  const put = await fetch(slot.signed_url, { method: "PUT", headers: { "content-type": file.type }, body: file });
  if (!put.ok) throw new Error(`The upload was refused (${put.status}).`);
  return slot.ref;
}

export function Playground(props: { api: Api; supabase: SupabaseClient; userId: string; document: Schema }) {
  const components = (props.document.components?.schemas ?? {}) as Record<string, Schema>;
  const types = Object.keys(PARAMS_SCHEMAS).filter((type) => components[PARAMS_SCHEMAS[type]]);
  const [type, setType] = useState(types[0] ?? "txt2img");
  const [workflows, setWorkflows] = useState<Workflow[]>([]);
  const [workflowId, setWorkflowId] = useState("");
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, run] = useAction();
  const { job, outputs, live, follow } = useLiveJob(props.api, props.supabase, props.userId);

  useEffect(() => {
    void run(async () => setWorkflows((await props.api.call<{ data: Workflow[] }>("GET", "/v1/workflows")).data));
  }, []);
  const schema = resolved(components[PARAMS_SCHEMAS[type]] ?? {}, components);
  const takesImage = "image" in (schema.properties ?? {});
  const forType = workflows.filter((w) => w.job_type === type);

  const generate = () =>
    run(async () => {
      setErrors({});
      try {
        // A `workflow` job always names one: the chosen, else the first offered.
        const workflow = workflowId || (type === "workflow" ? forType[0]?.id : undefined);
        const body = { type, params: values, ...(workflow ? { workflow_id: workflow } : {}) };
        follow(await props.api.call<Job>("POST", "/v1/jobs", body));
      } catch (error) {
        if (error instanceof ApiError && error.details) setErrors(error.details as Record<string, string>);
        throw error;
      }
    });

  return (
    <main>
      <h1>Playground</h1>
      <label>
        <span>Type</span>
        <select
          value={type}
          onChange={(e) => {
            setType(e.currentTarget.value);
            setWorkflowId("");
            setValues({});
          }}
        >
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      {forType.length > 0 && (
        <label>
          <span>Workflow</span>
          <select value={workflowId} onChange={(e) => setWorkflowId(e.currentTarget.value)}>
            {type !== "workflow" && <option value="">built-in</option>}
            {forType.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void generate();
        }}
      >
        {takesImage && (
          <label>
            <span>Image</span>
            <input
              type="file"
              accept="image/png,image/jpeg,image/webp"
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                if (file) void run(async () => setValues({ ...values, image: await upload(props.api, file) }));
              }}
            />
            {errors["params.image"] && <small class="error">{errors["params.image"]}</small>}
          </label>
        )}
        <SchemaForm
          schema={schema}
          components={components}
          values={values}
          errors={errors}
          onChange={setValues}
          skip={["image"]}
        />
        <Failure text={failure} />
        <button type="submit">Generate</button>
      </form>
      {job && (
        <section aria-label="Job">
          <JobProgress job={job} />
          {!live && <p class="notice">Realtime connection lost: reconnecting…</p>}
          <Outputs outputs={outputs} />
        </section>
      )}
    </main>
  );
}
