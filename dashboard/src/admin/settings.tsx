/** Admin: the maintenance switch with its reason, the other settings, and credit grants. */
import { useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { Failure, Section, useAction, usePolling } from "../ui.tsx";

type Settings = Record<string, unknown> & { maintenance?: { enabled: boolean; reason: string | null } };

/** The settings PATCH /v1/admin/settings takes as whole numbers, with what each means. */
const NUMBERS: [string, string][] = [
  ["max_active_jobs", "Most queued + running jobs per account"],
  ["max_running_jobs", "Most running jobs per account (0: no cap)"],
  ["model_affinity_wait_seconds", "Prefer a worker's loaded model for up to (s; 0: off)"],
  ["signup_grant_credits", "Credits a new account gets"],
  ["max_attempts", "Attempts per job"],
  ["lease_seconds", "Lease of a claim (s)"],
  ["worker_online_seconds", "A worker is online if seen within (s)"],
];

function Maintenance({ api, settings, saved }: { api: Api; settings: Settings; saved(s: Settings): void }) {
  const on = settings.maintenance?.enabled === true;
  const [reason, setReason] = useState(settings.maintenance?.reason ?? "");
  const [failure, run] = useAction();
  const flip = () =>
    run(async () => {
      const maintenance = on ? { enabled: false } : { enabled: true, reason: reason.trim() || null };
      saved(await api.call<Settings>("PATCH", "/v1/admin/settings", { maintenance }));
    });
  return (
    <Section title="Maintenance">
      <p role="status">
        {on
          ? `On: new jobs are refused with 503 "${settings.maintenance?.reason ?? "maintenance"}".`
          : "Off: jobs are accepted."}
      </p>
      {!on && (
        <label>
          <span>Reason</span>
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      )}
      <button type="button" onClick={() => void flip()}>
        {on ? "End maintenance" : "Start maintenance"}
      </button>
      <Failure text={failure} />
    </Section>
  );
}

function Numbers({ api, settings, saved }: { api: Api; settings: Settings; saved(s: Settings): void }) {
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [failure, run] = useAction();
  const save = () =>
    run(async () => {
      const body = Object.fromEntries(Object.entries(edits).map(([k, v]) => [k, Number(v)]));
      saved(await api.call<Settings>("PATCH", "/v1/admin/settings", body));
      setEdits({});
    });
  return (
    <Section title="Settings">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {NUMBERS.map(([key, label]) => (
          <label key={key}>
            <span>{label}</span>
            <input
              type="number"
              value={edits[key] ?? String(settings[key] ?? "")}
              onInput={(e) => setEdits({ ...edits, [key]: e.currentTarget.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={Object.keys(edits).length === 0}>
          Save settings
        </button>
      </form>
      <Failure text={failure} />
    </Section>
  );
}

/** Fair share between accounts, or first come, first served: applies to jobs queued from the change on. */
function ClaimOrder({ api, settings, saved }: { api: Api; settings: Settings; saved(s: Settings): void }) {
  const fair = settings.fair_share !== false;
  const [failure, run] = useAction();
  const flip = () =>
    run(async () => saved(await api.call<Settings>("PATCH", "/v1/admin/settings", { fair_share: !fair })));
  return (
    <Section title="Claim order">
      <p role="status">
        {fair
          ? "Fair share: accounts take turns, so one account's batch does not hold up another's jobs."
          : "First come, first served (by priority)."}
      </p>
      <button type="button" onClick={() => void flip()}>
        {fair ? "Switch to first come, first served" : "Switch to fair share"}
      </button>
      <Failure text={failure} />
    </Section>
  );
}

function CreditGrant({ api }: { api: Api }) {
  const [userId, setUserId] = useState("");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string>();
  const [failure, run] = useAction();
  const grant = () =>
    run(async () => {
      const body = { user_id: userId.trim(), amount: Number(amount), reason };
      const granted = await api.call<{ balance: number }>("POST", "/v1/admin/credits", body);
      setDone(`Granted ${amount}; the balance is now ${granted.balance}.`);
    });
  return (
    <Section title="Credit grants">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void grant();
        }}
      >
        <label>
          <span>Account (user id)</span>
          <input required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        </label>
        <label>
          <span>Credits (negative takes back)</span>
          <input type="number" required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
        </label>
        <label>
          <span>Why</span>
          <input required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button type="submit">Grant credits</button>
      </form>
      {done && <p role="status">{done}</p>}
      <Failure text={failure} />
    </Section>
  );
}

export function AdminSettings({ api }: { api: Api }) {
  const [settings, setSettings] = useState<Settings>();
  const [failure, run] = useAction();
  usePolling(() => run(async () => setSettings(await api.call<Settings>("GET", "/v1/admin/settings"))), 10_000);
  if (!settings) return <Failure text={failure} />;
  return (
    <>
      <Maintenance key={String(settings.maintenance?.enabled)} api={api} settings={settings} saved={setSettings} />
      <ClaimOrder api={api} settings={settings} saved={setSettings} />
      <Numbers api={api} settings={settings} saved={setSettings} />
      <CreditGrant api={api} />
    </>
  );
}
