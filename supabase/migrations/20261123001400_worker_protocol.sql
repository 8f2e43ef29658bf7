-- What the `workers` function needs beyond the lifecycle functions: heartbeats for all of a worker's running
-- jobs in one round trip. A worker with 8 slots sends one call per interval instead of 8.

/**
 * Heartbeats for several jobs of one worker: `p_jobs` is [{id, fencing_token, phase?, progress?}]. Each job is
 * kiln.heartbeat in a subtransaction of its own, so a job the worker no longer holds (KL005 no such job, KL006
 * stale token) is answered {id, held: false, sqlstate, message} while the others are extended as usual
 * ({id, held: true, cancel_requested, lease_expires_at}). Answers in the order of `p_jobs`. An unknown or revoked
 * worker fails the whole call (KL008).
 */
create function kiln.heartbeat_jobs(p_worker_id uuid, p_jobs jsonb, p_lease_seconds integer default null)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_item jsonb;
  v_results jsonb := '[]';
begin
  perform kiln.touch_worker(p_worker_id);
  for v_item in select e.value from jsonb_array_elements(p_jobs) with ordinality as e(value, n) order by e.n loop
    begin
      v_results := v_results || jsonb_build_array(
        jsonb_build_object('id', v_item ->> 'id', 'held', true)
        || kiln.heartbeat((v_item ->> 'id')::uuid, p_worker_id, (v_item ->> 'fencing_token')::bigint,
                          (v_item ->> 'phase')::public.job_phase, v_item -> 'progress', p_lease_seconds));
    exception when sqlstate 'KL005' or sqlstate 'KL006' then
      v_results := v_results || jsonb_build_array(
        jsonb_build_object('id', v_item ->> 'id', 'held', false, 'sqlstate', sqlstate, 'message', sqlerrm));
    end;
  end loop;
  return v_results;
end $$;
grant execute on function kiln.heartbeat_jobs(uuid, jsonb, integer) to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
