/**
 * Admin: stored workflows. The list; a form to create one or change one (graph, bindings and cost rule as JSON,
 * job type, owner, enabled, timeout); delete; and a test run, which submits a job on the admin's own account and
 * opens its page.
 */
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { Failure, Section, useAction } from "../ui.tsx";

// biome-ignore lint/suspicious/noExplicitAny: workflows as the API answers them.
type Workflow = any;

interface Draft {
  id?: string;
  name: string;
  description: string;
  job_type: string;
  owner_id: string;
  graph: string;
  bindings: string;
  cost_rule: string;
  enabled: boolean;
  timeout: string;
}

const EMPTY: Draft = {
  name: "",
  description: "",
  job_type: "workflow",
  owner_id: "",
  graph: "{}",
  bindings: "{}",
  cost_rule: "{}",
  enabled: true,
  timeout: "",
};

const draftOf = (w: Workflow): Draft => ({
  id: w.id,
  name: w.name,
  description: w.description ?? "",
  job_type: w.job_type,
  owner_id: w.owner_id ?? "",
  graph: JSON.stringify(w.graph, null, 2),
  bindings: JSON.stringify(w.bindings, null, 2),
  cost_rule: JSON.stringify(w.cost_rule, null, 2),
  enabled: w.enabled,
  timeout: w.execution_timeout_seconds === null ? "" : String(w.execution_timeout_seconds),
});

/** JSON the admin typed, or an error naming the field. */
function parsed(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${field} is not JSON: ${(error as Error).message}`);
  }
}

function WorkflowForm({ draft, onSave, onCancel }: { draft: Draft; onSave(d: Draft): void; onCancel(): void }) {
  const [d, setD] = useState(draft);
  const set = (key: keyof Draft) => (e: { currentTarget: { value: string } }) =>
    setD({ ...d, [key]: e.currentTarget.value });
  const line = (key: keyof Draft, label: string) => (
    <label>
      <span>{label}</span>
      <input value={String(d[key])} onInput={set(key)} />
    </label>
  );
  const json = (key: keyof Draft, label: string) => (
    <label>
      <span>{label}</span>
      <textarea rows={8} value={String(d[key])} onInput={set(key)} />
    </label>
  );
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSave(d);
      }}
    >
      {line("name", "Workflow name")}
      {line("description", "Workflow description")}
      {line("job_type", "Job type")}
      {line("owner_id", "Owner (user id; empty: every account)")}
      {line("timeout", "Execution timeout (s; empty: the default)")}
      {json("graph", "Graph (ComfyUI API format)")}
      {json("bindings", "Bindings")}
      {json("cost_rule", "Cost rule")}
      <label class="check">
        <input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.currentTarget.checked })} />{" "}
        Enabled
      </label>
      <button type="submit">Save workflow</button>{" "}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

export function AdminWorkflows({ api }: { api: Api }) {
  const [workflows, setWorkflows] = useState<Workflow[]>([]);
  const [editing, setEditing] = useState<Draft>();
  const [failure, run] = useAction();
  const load = async () =>
    setWorkflows((await api.call<{ data: Workflow[] }>("GET", "/v1/admin/workflows?limit=100")).data);
  useEffect(() => void run(load), []);

  const save = (d: Draft) =>
    run(async () => {
      const body = {
        name: d.name,
        description: d.description || null,
        job_type: d.job_type,
        owner_id: d.owner_id.trim() || null,
        graph: parsed("Graph", d.graph),
        bindings: parsed("Bindings", d.bindings),
        cost_rule: parsed("Cost rule", d.cost_rule),
        enabled: d.enabled,
        execution_timeout_seconds: d.timeout ? Number(d.timeout) : null,
      };
      if (d.id) await api.call("PATCH", `/v1/admin/workflows/${d.id}`, body);
      else await api.call("POST", "/v1/admin/workflows", body);
      setEditing(undefined);
      await load();
    });
  const remove = (id: string) =>
    run(async () => {
      await api.call("DELETE", `/v1/admin/workflows/${id}`);
      await load();
    });
  const testRun = (w: Workflow) =>
    run(async () => {
      const job = await api.call<{ id: string }>("POST", "/v1/jobs", {
        type: w.job_type,
        workflow_id: w.id,
        params: {},
      });
      location.hash = `#job/${job.id}`;
    });

  return (
    <Section title="Workflows">
      <Failure text={failure} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Job type</th>
            <th>Owner</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {workflows.map((w) => (
            <tr key={w.id} aria-label={`Workflow ${w.name}`}>
              <td>
                {w.name}
                {w.description && <small>{w.description}</small>}
              </td>
              <td>{w.job_type}</td>
              <td>{w.owner_id ? w.owner_id.slice(0, 8) : "every account"}</td>
              <td>{w.enabled ? "enabled" : "disabled"}</td>
              <td class="actions">
                <button type="button" onClick={() => setEditing(draftOf(w))}>
                  Edit
                </button>
                <button type="button" onClick={() => void testRun(w)} disabled={!w.enabled}>
                  Test run
                </button>
                <button type="button" onClick={() => void remove(w.id)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing ? (
        <WorkflowForm key={editing.id ?? "new"} draft={editing} onSave={save} onCancel={() => setEditing(undefined)} />
      ) : (
        <button type="button" onClick={() => setEditing(EMPTY)}>
          New workflow
        </button>
      )}
    </Section>
  );
}
