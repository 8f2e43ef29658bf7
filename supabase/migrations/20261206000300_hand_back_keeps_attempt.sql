-- A worker that shuts down hands its running job back (error code worker_shutdown). The job did not fail: the
-- attempt it was on is not counted, and it is queued again at once for another worker, with reason 'handed_back'.
-- Before, a hand-back used up an attempt like a failure, so a job on its last attempt failed for good when a worker
-- was merely restarted. A cancel asked for meanwhile still ends the job canceled; a deadline still applies.
create or replace function kiln.fail_job(p_job_id uuid, p_worker_id uuid, p_fencing_token bigint, p_error jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.jobs := kiln.lock_held_job(p_job_id, p_worker_id, p_fencing_token);
  v_error jsonb := jsonb_build_object('code', 'worker_error', 'message', 'the worker reported a failure', 'retryable', false)
                   || coalesce(p_error, '{}') || jsonb_build_object('attempt', v_job.attempts);
begin
  if v_error ->> 'code' = 'worker_shutdown' then
    update public.jobs j set attempts = j.attempts - 1 where j.id = p_job_id returning * into v_job;
    return kiln.job_summary(kiln.retry_or_fail(v_job, v_error || '{"retryable": true}', interval '0', 'handed_back'));
  end if;
  return kiln.job_summary(kiln.retry_or_fail(v_job, v_error, kiln.retry_delay(v_job.attempts), 'retry'));
end $$;
revoke all on function kiln.fail_job(uuid, uuid, bigint, jsonb) from public;
