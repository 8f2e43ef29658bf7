/**
 * Credits: the balance and the ledger, newest first, paged. Live: a job's charge or refund comes with a change of
 * the job, which Realtime announces, so every job update reads both again.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { subscribeJobs } from "../live_jobs.ts";
import { Failure, useAction, when } from "../ui.tsx";

interface Entry {
  id: number;
  delta: number;
  balance_after: number;
  reason: string;
  job_id: string | null;
  note: string | null;
  created_at: string;
}

export function Credits(props: { api: Api; supabase: SupabaseClient; userId: string }) {
  const [balance, setBalance] = useState<number>();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [failure, run] = useAction();
  const load = () =>
    run(async () => {
      const [me, page] = await Promise.all([
        props.api.call<{ credits: number }>("GET", "/v1/me"),
        props.api.call<{ data: Entry[]; next_cursor: string | null }>("GET", "/v1/credits/ledger?limit=50"),
      ]);
      setBalance(me.credits);
      setEntries(page.data);
      setNext(page.next_cursor);
    });
  const more = () =>
    run(async () => {
      const page = await props.api.call<{ data: Entry[]; next_cursor: string | null }>(
        "GET",
        `/v1/credits/ledger?limit=50&cursor=${encodeURIComponent(next ?? "")}`,
      );
      setEntries((current) => [...current, ...page.data]);
      setNext(page.next_cursor);
    });
  useEffect(
    () =>
      subscribeJobs(props.supabase, props.userId, {
        onUpdate: () => void load(),
        onJoined: () => void load(),
        onState: () => {},
      }),
    [],
  );

  return (
    <main>
      <h1>Credits</h1>
      <Failure text={failure} />
      <p class="balance">Balance: {balance === undefined ? "…" : `${balance.toLocaleString()} credits`}</p>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Change</th>
            <th>Balance</th>
            <th>Reason</th>
            <th>Job</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{when(e.created_at)}</td>
              <td class={e.delta < 0 ? "minus" : "plus"}>{e.delta > 0 ? `+${e.delta}` : e.delta}</td>
              <td>{e.balance_after}</td>
              <td>
                {e.reason.replaceAll("_", " ")}
                {e.note ? ` · ${e.note}` : ""}
              </td>
              <td>{e.job_id && <a href={`#job/${e.job_id}`}>{e.job_id.slice(0, 8)}</a>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => void more()}>
          Older entries
        </button>
      )}
    </main>
  );
}
