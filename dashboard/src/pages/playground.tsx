/**
 * The Playground: a job type, its params as a form generated from the api's `/openapi.json`, Generate; then the
 * job live over Realtime (phase, a progress bar, queue position, the "no worker can run this" warning) and its
 * outputs as they land, shown with fresh signed URLs.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import { type Api, ApiError, describeError } from "../api.ts";
import { subscribeJobs } from "../live_jobs.ts";
import { type Schema, SchemaForm } from "../schema_form.tsx";

/** Job type → the component schema of its params, as the API document names them. */
const PARAMS_SCHEMAS: Record<string, string> = {
  txt2img: "Txt2ImgParams",
  img2img: "Img2ImgParams",
  upscale: "UpscaleParams",
  workflow: "WorkflowParams",
};

// biome-ignore lint/suspicious/noExplicitAny: the job as the API answers it.
type Job = any;
interface Output {
  url: string | null;
  content_type?: string;
}

export function Playground(props: { api: Api; supabase: SupabaseClient; userId: string; document: Schema }) {
  const components = (props.document.components?.schemas ?? {}) as Record<string, Schema>;
  const types = Object.keys(PARAMS_SCHEMAS).filter((type) => components[PARAMS_SCHEMAS[type]]);
  const [type, setType] = useState(types[0] ?? "txt2img");
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const [job, setJob] = useState<Job>();
  const [outputs, setOutputs] = useState<Output[]>([]);
  const [live, setLive] = useState(true);

  const loadOutputs = async (id: string) => {
    const answer = await props.api.call<{ outputs: Output[] }>("GET", `/v1/jobs/${id}/outputs`);
    setOutputs(answer.outputs);
  };

  useEffect(() => {
    if (!job?.id) return;
    const id: string = job.id;
    return subscribeJobs(props.supabase, props.userId, {
      onUpdate: ({ job: update }) => {
        if (update.id !== id) return;
        setJob((current: Job) => ({ ...current, ...update }));
        if (update.status === "succeeded") void loadOutputs(id);
      },
      // After every (re)join, read the job: an update missed while the socket was down is caught up.
      onJoined: () =>
        void props.api.call<Job>("GET", `/v1/jobs/${id}`).then((fresh) => {
          setJob(fresh);
          if (fresh.status === "succeeded") void loadOutputs(id);
        }),
      onState: setLive,
    });
  }, [job?.id]);

  const generate = async () => {
    setFailure(undefined);
    setErrors({});
    setOutputs([]);
    try {
      setJob(await props.api.call<Job>("POST", "/v1/jobs", { type, params: values }));
    } catch (error) {
      if (error instanceof ApiError && error.details) setErrors(error.details as Record<string, string>);
      setFailure(describeError(error));
    }
  };

  const progress = job?.progress as { percent?: number; eta_ms?: number } | null | undefined;
  return (
    <main>
      <h1>Playground</h1>
      <label>
        <span>Type</span>
        <select
          value={type}
          onChange={(e) => {
            setType(e.currentTarget.value);
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
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void generate();
        }}
      >
        <SchemaForm
          schema={components[PARAMS_SCHEMAS[type]] ?? {}}
          components={components}
          values={values}
          errors={errors}
          onChange={setValues}
        />
        {failure && (
          <p class="error" role="alert">
            {failure}
          </p>
        )}
        <button type="submit">Generate</button>
      </form>
      {job && (
        <section aria-label="Job">
          <h2>
            Job {job.id} · {job.status}
            {job.phase ? ` · ${job.phase}` : ""}
          </h2>
          {!live && <p class="notice">Realtime connection lost: reconnecting…</p>}
          {job.queue?.position && job.status === "queued" && <p>Queue position {job.queue.position}</p>}
          {(job.warnings ?? []).map((warning: string) => (
            <p class="notice" key={warning}>
              {warning}
            </p>
          ))}
          <progress
            aria-label="Progress"
            max={100}
            value={job.status === "succeeded" ? 100 : (progress?.percent ?? 0)}
          />
          {progress?.eta_ms !== undefined && <p>About {Math.ceil(progress.eta_ms / 1000)} s left</p>}
          {job.error && <p class="error">{job.error.message}</p>}
          <div class="outputs">
            {outputs.map((output, i) =>
              output.url && output.content_type?.startsWith("video/") ? (
                <video key={output.url} src={output.url} controls aria-label={`Output ${i + 1}`}>
                  <track kind="captions" />
                </video>
              ) : output.url ? (
                <img key={output.url} src={output.url} alt={`Output ${i + 1}`} />
              ) : null,
            )}
          </div>
        </section>
      )}
    </main>
  );
}
