/**
 * Webhooks: endpoints (create with the signing secret shown once; enable, disable, rotate, delete), a test ping,
 * each endpoint's delivery log with every attempt (polled while shown: deliveries are not broadcast), replay of
 * one delivery and of every dead one since a time; and the account secret that signs per-job webhooks.
 */
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.ts";
import type { Schema } from "../schema_form.tsx";
import { Failure, SecretOnce, Section, useAction, usePolling, when } from "../ui.tsx";

// biome-ignore lint/suspicious/noExplicitAny: rows as the API answers them.
type Row = any;

/** The event names the deployed API accepts, from its document (so a new event shows without a new dashboard). */
function eventNames(document: Schema): string[] {
  const events = document.components?.schemas?.WebhookCreate?.properties?.events;
  return (events?.items?.enum as string[] | undefined)?.filter((e) => e !== "*") ?? [];
}

function Deliveries({ api, endpoint }: { api: Api; endpoint: Row }) {
  const [deliveries, setDeliveries] = useState<Row[]>([]);
  const [since, setSince] = useState("");
  const [note, setNote] = useState<string>();
  const [failure, run] = useAction();
  const load = async () =>
    setDeliveries((await api.call<{ data: Row[] }>("GET", `/v1/webhooks/${endpoint.id}/deliveries?limit=50`)).data);
  usePolling(() => run(load), 2000, [endpoint.id]);

  const replay = (id: string) =>
    run(async () => {
      await api.call("POST", `/v1/deliveries/${id}/replay`);
      await load();
    });
  const replayDead = () =>
    run(async () => {
      const body = { since: new Date(since).toISOString() };
      const { replayed } = await api.call<{ replayed: number }>("POST", `/v1/webhooks/${endpoint.id}/replay`, body);
      setNote(`${replayed} dead ${replayed === 1 ? "delivery" : "deliveries"} queued again.`);
      await load();
    });

  return (
    <Section title={`Deliveries to ${endpoint.url}`}>
      <Failure text={failure} />
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void replayDead();
        }}
      >
        <label>
          <span>Replay dead deliveries since</span>
          <input type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </label>
        <button type="submit">Replay dead</button>
        {note && <span role="status">{note}</span>}
      </form>
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Response</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} aria-label={`Delivery ${d.event_type}`}>
              <td>{d.event_type}</td>
              <td>{d.status}</td>
              <td>
                <details>
                  <summary>{d.attempts}</summary>
                  <ol>
                    {d.attempt_log.map((a: Row) => (
                      <li key={a.attempt}>
                        {when(a.started_at)}: {a.response_code ?? a.error}
                        {a.duration_ms !== null ? ` in ${a.duration_ms} ms` : ""}
                        {a.response_excerpt ? ` · ${a.response_excerpt}` : ""}
                      </li>
                    ))}
                  </ol>
                </details>
              </td>
              <td>{d.response_code ?? d.error ?? ""}</td>
              <td>{when(d.created_at)}</td>
              <td>
                {d.status !== "pending" && (
                  <button type="button" onClick={() => void replay(d.id)}>
                    Replay
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {deliveries.length === 0 && <p>No deliveries yet.</p>}
    </Section>
  );
}

function AccountSecret({ api }: { api: Api }) {
  const [secret, setSecret] = useState<string>();
  const [failure, run] = useAction();
  return (
    <Section title="Account secret">
      <p>Signs the webhooks of jobs created with a per-job webhook URL.</p>
      <Failure text={failure} />
      {secret ? (
        <p class="secret">{secret}</p>
      ) : (
        <button
          type="button"
          onClick={() =>
            void run(async () => setSecret((await api.call<{ secret: string }>("GET", "/v1/webhooks/secret")).secret))
          }
        >
          Show account secret
        </button>
      )}{" "}
      <button
        type="button"
        onClick={() =>
          void run(async () =>
            setSecret((await api.call<{ secret: string }>("POST", "/v1/webhooks/secret/rotate")).secret),
          )
        }
      >
        Rotate account secret
      </button>
    </Section>
  );
}

export function Webhooks({ api, document }: { api: Api; document: Schema }) {
  const events = eventNames(document);
  const [endpoints, setEndpoints] = useState<Row[]>([]);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [secret, setSecret] = useState<string>();
  const [shown, setShown] = useState<string>();
  const [failure, run] = useAction();
  const load = async () => setEndpoints((await api.call<{ data: Row[] }>("GET", "/v1/webhooks")).data);
  useEffect(() => void run(load), []);

  const act = (action: () => Promise<unknown>) =>
    run(async () => {
      await action();
      await load();
    });
  const create = () =>
    act(async () => {
      const body = { url, ...(description ? { description } : {}), ...(chosen.length ? { events: chosen } : {}) };
      const created = await api.call<{ secret: string; webhook: Row }>("POST", "/v1/webhooks", body);
      setSecret(created.secret);
      setShown(created.webhook.id);
      setUrl("");
      setDescription("");
    });
  const rotate = (id: string) =>
    act(async () => setSecret((await api.call<{ secret: string }>("POST", `/v1/webhooks/${id}/rotate-secret`)).secret));

  return (
    <main>
      <h1>Webhooks</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          <span>Endpoint URL</span>
          <input type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <label>
          <span>Description</span>
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Events (none chosen: every event)</legend>
          {events.map((event) => (
            <label key={event} class="check">
              <input
                type="checkbox"
                checked={chosen.includes(event)}
                onChange={(e) =>
                  setChosen(e.currentTarget.checked ? [...chosen, event] : chosen.filter((x) => x !== event))
                }
              />{" "}
              {event}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
      <Failure text={failure} />
      <SecretOnce label="Signing secret" secret={secret} />
      <table>
        <thead>
          <tr>
            <th>URL</th>
            <th>Events</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {endpoints.map((endpoint) => (
            <tr key={endpoint.id} aria-label={`Endpoint ${endpoint.url}`}>
              <td>
                {endpoint.url}
                {endpoint.description && <small>{endpoint.description}</small>}
              </td>
              <td>{endpoint.events.join(", ")}</td>
              <td>
                {endpoint.enabled ? "enabled" : "disabled"}
                {endpoint.failure_streak > 0 && ` · ${endpoint.failure_streak} failed in a row`}
              </td>
              <td class="actions">
                <button type="button" onClick={() => setShown(endpoint.id)}>
                  Deliveries
                </button>
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      await api.call("POST", `/v1/webhooks/${endpoint.id}/test`);
                      setShown(endpoint.id);
                    })
                  }
                >
                  Send test event
                </button>
                <button
                  type="button"
                  onClick={() =>
                    void act(() => api.call("PATCH", `/v1/webhooks/${endpoint.id}`, { enabled: !endpoint.enabled }))
                  }
                >
                  {endpoint.enabled ? "Disable" : "Enable"}
                </button>
                <button type="button" onClick={() => void rotate(endpoint.id)}>
                  Rotate secret
                </button>
                <button type="button" onClick={() => void act(() => api.call("DELETE", `/v1/webhooks/${endpoint.id}`))}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {endpoints
        .filter((endpoint) => endpoint.id === shown)
        .map((endpoint) => (
          <Deliveries key={endpoint.id} api={api} endpoint={endpoint} />
        ))}
      <AccountSecret api={api} />
    </main>
  );
}
