-- Completions for several jobs of one worker in one round trip. When jobs end close together (many slots, short
-- jobs), the worker sends the reports that piled up behind one call in flight as a single call: one commit and one
-- HTTP request for all of them instead of one each.

/**
 * Completes several jobs of one worker: `p_reports` is [{id, fencing_token, outputs}]. Each job is
 * kiln.complete_job in a subtransaction of its own, so a job the worker no longer holds (KL005 no such job, KL006
 * stale token) is answered {id, held: false, sqlstate, message} and the others still complete ({id, held: true,
 * job: the job summary}). Answers in the order of `p_reports`.
 */
create function kiln.complete_jobs(p_worker_id uuid, p_reports jsonb)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_report jsonb;
  v_results jsonb := '[]';
begin
  for v_report in select e.value from jsonb_array_elements(p_reports) with ordinality as e(value, n) order by e.n loop
    begin
      v_results := v_results || jsonb_build_array(jsonb_build_object(
        'id', v_report ->> 'id', 'held', true,
        'job', kiln.complete_job((v_report ->> 'id')::uuid, p_worker_id, (v_report ->> 'fencing_token')::bigint,
                                 v_report -> 'outputs')));
    exception when sqlstate 'KL005' or sqlstate 'KL006' then
      v_results := v_results || jsonb_build_array(
        jsonb_build_object('id', v_report ->> 'id', 'held', false, 'sqlstate', sqlstate, 'message', sqlerrm));
    end;
  end loop;
  return v_results;
end $$;
revoke all on function kiln.complete_jobs(uuid, jsonb) from public;
