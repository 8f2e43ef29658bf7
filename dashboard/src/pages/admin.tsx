/** Admin (role admin only; the tab is not shown to others, and the API refuses them anyway): workers, queue and statistics, workflows, settings with maintenance and credit grants. */
import { useState } from "preact/hooks";
import { AdminSettings } from "../admin/settings.tsx";
import { AdminStats } from "../admin/stats.tsx";
import { AdminWorkers } from "../admin/workers.tsx";
import { AdminWorkflows } from "../admin/workflows.tsx";
import type { Api } from "../api.ts";

const VIEWS = { overview: "Workers and queue", workflows: "Workflows", settings: "Settings" } as const;

export function Admin({ api }: { api: Api }) {
  const [view, setView] = useState<keyof typeof VIEWS>("overview");
  return (
    <main>
      <h1>Admin</h1>
      <div role="tablist" class="tabs">
        {Object.entries(VIEWS).map(([id, title]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={view === id}
            onClick={() => setView(id as keyof typeof VIEWS)}
          >
            {title}
          </button>
        ))}
      </div>
      {view === "overview" && (
        <>
          <AdminWorkers api={api} />
          <AdminStats api={api} />
        </>
      )}
      {view === "workflows" && <AdminWorkflows api={api} />}
      {view === "settings" && <AdminSettings api={api} />}
    </main>
  );
}
