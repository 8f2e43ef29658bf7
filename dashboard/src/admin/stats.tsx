/** Admin: the queue now (depth per job type) and statistics over a window (jobs by status and type, success rate, p50/p95 wait and run time), drawn as charts. */
import { useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { Failure, Section, useAction, usePolling } from "../ui.tsx";
import { type Bar, BarChart } from "./charts.tsx";

// biome-ignore lint/suspicious/noExplicitAny: statistics as the API answers them.
type Stats = any;

const COLORS: Record<string, string> = {
  queued: "#c9a227",
  running: "#3a7bd5",
  succeeded: "#2e8b57",
  failed: "#b22222",
  canceled: "#888",
  p50: "#3a7bd5",
  p95: "#9bbbe8",
};
const WINDOWS = [1, 24, 168];

const seconds = (ms: number | null) => (ms === null ? 0 : ms / 1000);

export function AdminStats({ api }: { api: Api }) {
  const [hours, setHours] = useState(24);
  const [stats, setStats] = useState<Stats>();
  const [failure, run] = useAction();
  usePolling(
    () => run(async () => setStats(await api.call<Stats>("GET", `/v1/admin/stats?window_hours=${hours}`))),
    5000,
    [hours],
  );
  if (!stats) return <Failure text={failure} />;

  const depth: Bar[] = stats.queue_depth.by_type.map((t: Stats) => ({
    label: t.type,
    parts: [
      { name: "queued", value: t.queued, color: COLORS.queued },
      { name: "running", value: t.running, color: COLORS.running },
    ],
  }));
  const byType: Bar[] = stats.jobs.by_type.map((t: Stats) => ({
    label: t.type,
    parts: Object.entries(t.by_status as Record<string, number>).map(([name, value]) => ({
      name,
      value,
      color: COLORS[name] ?? "#555",
    })),
  }));
  const times: Bar[] = [
    ["queue wait", stats.queue_wait_ms],
    ["run time", stats.run_time_ms],
  ].flatMap(([label, t]) =>
    ["p50", "p95"].map((p) => ({
      label: `${label} ${p}`,
      parts: [{ name: p, value: seconds(t[p]), color: COLORS[p] }],
    })),
  );

  return (
    <Section title="Queue and statistics">
      <Failure text={failure} />
      <p class="figures">
        <span>
          <strong>{stats.queue_depth.queued}</strong> queued ({stats.queue_depth.claimable} claimable now)
        </span>
        <span>
          <strong>{stats.queue_depth.running}</strong> running
        </span>
        <span>
          <strong>{stats.workers.online}</strong> of {stats.workers.total} workers online
        </span>
        <span>
          success rate{" "}
          <strong>{stats.success_rate === null ? "–" : `${Math.round(stats.success_rate * 1000) / 10}%`}</strong>
        </span>
      </p>
      <BarChart title="Queue depth by type, now" bars={depth} empty="Nothing queued or running." />
      <label>
        <span>Window</span>
        <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
          {WINDOWS.map((h) => (
            <option key={h} value={h}>
              last {h === 1 ? "hour" : h === 24 ? "day" : "week"}
            </option>
          ))}
        </select>
      </label>
      <BarChart title={`Jobs by type and status, last ${hours} h`} bars={byType} empty="No jobs in this window." />
      <BarChart
        title={`Wait and run time (p50, p95), last ${hours} h`}
        bars={times}
        unit=" s"
        empty="No finished jobs in this window."
      />
    </Section>
  );
}
