/** A job as the Playground and the job page show it: where it stands (phase, progress, ETA, queue) and its outputs. */

// biome-ignore lint/suspicious/noExplicitAny: the job as the API answers it.
export type Job = any;
export interface Output {
  url: string | null;
  path?: string;
  content_type?: string;
}

export function JobProgress({ job }: { job: Job }) {
  const progress = job.progress as { percent?: number; value?: number; max?: number; eta_ms?: number } | null;
  return (
    <>
      <h2>
        Job {job.id} · {job.status}
        {job.phase ? ` · ${job.phase.replaceAll("_", " ")}` : ""}
      </h2>
      {job.queue?.position && job.status === "queued" && <p>Queue position {job.queue.position}</p>}
      {(job.warnings ?? []).map((warning: string) => (
        <p class="notice" key={warning}>
          {warning}
        </p>
      ))}
      <progress aria-label="Progress" max={100} value={job.status === "succeeded" ? 100 : (progress?.percent ?? 0)} />
      {job.status === "running" && (
        <p class="meta">
          {progress?.max ? `Step ${progress.value}/${progress.max}` : ""}
          {progress?.eta_ms !== undefined ? ` · about ${Math.ceil(progress.eta_ms / 1000)} s left` : ""}
        </p>
      )}
      {job.error && (
        <p class="error">
          {job.error.code}: {job.error.message}
        </p>
      )}
    </>
  );
}

/** Images shown, video and audio playable, each with a download link (the URLs are fresh signed ones). */
export function Outputs({ outputs }: { outputs: Output[] }) {
  return (
    <div class="outputs">
      {outputs.map((output, i) => {
        if (!output.url) return null;
        const label = `Output ${i + 1}`;
        const kind = output.content_type?.split("/")[0];
        return (
          <figure key={output.url}>
            {kind === "video" ? (
              <video src={output.url} controls aria-label={label}>
                <track kind="captions" />
              </video>
            ) : kind === "audio" ? (
              <audio src={output.url} controls aria-label={label}>
                <track kind="captions" />
              </audio>
            ) : kind === "image" ? (
              <img src={output.url} alt={label} />
            ) : null}
            <figcaption>
              <a href={output.url} download={output.path?.split("/").pop() ?? ""}>
                Download {label.toLowerCase()}
              </a>
            </figcaption>
          </figure>
        );
      })}
    </div>
  );
}
