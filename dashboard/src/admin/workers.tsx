/** Admin: the workers, with whether each is online, what it runs and has (GPUs, models, versions), its current jobs; add one (its token shown once), revoke one. */
import { useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { Failure, SecretOnce, Section, useAction, usePolling, when } from "../ui.tsx";

// biome-ignore lint/suspicious/noExplicitAny: workers as the API answers them.
type Worker = any;
interface Instance {
  url: string;
  comfyui_version?: string;
  devices?: { name: string; vram_total?: number }[];
  models?: Record<string, string[]>;
}

const GiB = 1024 ** 3;

function Instances({ capabilities }: { capabilities: Record<string, unknown> }) {
  const instances = (capabilities.comfyui ?? []) as Instance[];
  return (
    <ul class="plain">
      {instances.map((instance) => (
        <li key={instance.url}>
          {instance.url}
          {instance.comfyui_version && ` · ComfyUI ${instance.comfyui_version}`}
          {(instance.devices ?? []).map(
            (d) => ` · ${d.name}${d.vram_total ? ` (${Math.round(d.vram_total / GiB)} GiB)` : ""}`,
          )}
          <br />
          <small>
            {Object.entries(instance.models ?? {})
              .map(([kind, files]) => `${kind}: ${files.join(", ") || "none"}`)
              .join(" · ")}
          </small>
        </li>
      ))}
    </ul>
  );
}

export function AdminWorkers({ api }: { api: Api }) {
  const [workers, setWorkers] = useState<Worker[]>([]);
  const [name, setName] = useState("");
  const [token, setToken] = useState<string>();
  const [failure, run] = useAction();
  const load = async () => setWorkers((await api.call<{ data: Worker[] }>("GET", "/v1/admin/workers?limit=100")).data);
  usePolling(() => run(load), 5000);

  const add = () =>
    run(async () => {
      const created = await api.call<{ token: string }>("POST", "/v1/admin/workers", { name });
      setToken(created.token);
      setName("");
      await load();
    });
  const revoke = (id: string) =>
    run(async () => {
      await api.call("DELETE", `/v1/admin/workers/${id}`);
      await load();
    });

  return (
    <Section title="Workers">
      <Failure text={failure} />
      <table>
        <thead>
          <tr>
            <th>Worker</th>
            <th>State</th>
            <th>Runs</th>
            <th>ComfyUI</th>
            <th>Current jobs</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => (
            <tr key={w.id} aria-label={`Worker ${w.name}`}>
              <td>
                {w.name}
                <small>{[w.capabilities.worker_version, w.capabilities.runtime].filter(Boolean).join(" · ")}</small>
              </td>
              <td>{w.online ? (w.draining ? "draining" : "online") : "offline"}</td>
              <td>{w.job_types.join(", ")}</td>
              <td>
                <Instances capabilities={w.capabilities} />
              </td>
              <td>
                {w.current_jobs.map((id: string) => (
                  <code key={id}>{id.slice(0, 8)} </code>
                ))}
              </td>
              <td>{when(w.last_seen_at)}</td>
              <td>
                <button type="button" onClick={() => void revoke(w.id)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label>
          <span>New worker name</span>
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit">Add worker</button>
      </form>
      <SecretOnce label="Worker token" secret={token} />
    </Section>
  );
}
