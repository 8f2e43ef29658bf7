-- The worker's side of the lifecycle: claim, heartbeat, and the reports that end an attempt.
-- Every report names the job, the worker and the fencing token of its claim; any other token is stale.

/** Marks the worker as seen (at most every 5 s, to spare writes) and returns it; unknown or revoked → KL008. */
create function kiln.touch_worker(p_worker_id uuid) returns public.workers
language plpgsql set search_path = '' as $$
declare
  v_worker public.workers;
begin
  select * into v_worker from public.workers w where w.id = p_worker_id and w.revoked_at is null;
  if not found then
    raise exception 'worker % is unknown or revoked', p_worker_id using errcode = 'KL008';
  end if;
  if v_worker.last_seen_at is null or v_worker.last_seen_at < now() - interval '5 seconds' then
    update public.workers w set last_seen_at = now() where w.id = p_worker_id;
  end if;
  return v_worker;
end $$;
grant execute on function kiln.touch_worker(uuid) to service_role;

/**
 * Claims up to `p_limit` claimable jobs of `p_job_types` for a worker: queued, due, deadline not passed,
 * highest priority first, then oldest. SKIP LOCKED lets concurrent claimers take disjoint jobs without
 * waiting. Each claimed job gets a lease, a fresh fencing token and one more attempt. A draining worker gets none.
 * A claim commits without waiting for its WAL flush: one lost in a database crash leaves the job queued, and the
 * fencing token makes the worker's later reports fail, so it costs a re-run, never a wrong state. Measured with
 * pgbench driving claim + complete on 2 cores: 1 claimer 710 → 780 cycles/s, 8 claimers 1,240 → 1,380.
 */
create function kiln.claim_jobs(
  p_worker_id uuid, p_job_types text[], p_limit integer, p_lease_seconds integer default null
) returns setof public.jobs
language plpgsql set search_path = '' as $$
declare
  v_lease interval := make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer));
  v_job public.jobs;
begin
  perform set_config('synchronous_commit', 'off', true);
  if (kiln.touch_worker(p_worker_id)).draining then
    return;
  end if;
  for v_job in
    with claimable as (
      select j.id
        from public.jobs j
       where j.status = 'queued'
         and j.run_after <= now()
         and j.type = any(p_job_types)
         and (j.deadline is null or j.deadline > now())
       order by j.priority desc, j.run_after, j.id
       limit p_limit
         for update skip locked
    )
    update public.jobs j
       set status = 'running', phase = 'claimed', progress = null, worker_id = p_worker_id,
           fencing_token = nextval('kiln.fencing_tokens'), attempts = j.attempts + 1,
           lease_expires_at = now() + v_lease, claimed_at = now(), started_at = null
      from claimable c
     where j.id = c.id
    returning j.*
  loop
    perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
    return next v_job;
  end loop;
end $$;
grant execute on function kiln.claim_jobs(uuid, text[], integer, integer) to service_role;

/** Locks and returns the job the worker holds with this token; else KL005 (no job) or KL006 (stale token). */
create function kiln.lock_held_job(p_job_id uuid, p_worker_id uuid, p_fencing_token bigint) returns public.jobs
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs;
begin
  select * into v_job from public.jobs j where j.id = p_job_id for update;
  if not found then
    raise exception 'no job %', p_job_id using errcode = 'KL005';
  end if;
  if v_job.status <> 'running' or v_job.worker_id is distinct from p_worker_id
     or v_job.fencing_token is distinct from p_fencing_token then
    raise exception 'job % is no longer held by this worker with token %', p_job_id, p_fencing_token
      using errcode = 'KL006', detail = jsonb_build_object('status', v_job.status)::text;
  end if;
  return v_job;
end $$;
grant execute on function kiln.lock_held_job(uuid, uuid, bigint) to service_role;

/**
 * Extends the lease and records phase and progress; returns {cancel_requested, lease_expires_at}.
 * A phase change is logged as a job.progress event; a progress tick is only published (Realtime, webhooks).
 * A heartbeat that comes after the lease ran out but before the reaper is accepted: nobody else holds the job.
 * Like a claim, it does not wait for its WAL flush: losing one in a crash only shortens the lease.
 */
create function kiln.heartbeat(
  p_job_id uuid, p_worker_id uuid, p_fencing_token bigint,
  p_phase public.job_phase default null, p_progress jsonb default null, p_lease_seconds integer default null
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_before public.jobs := kiln.lock_held_job(p_job_id, p_worker_id, p_fencing_token);
  v_job public.jobs;
begin
  perform set_config('synchronous_commit', 'off', true);
  perform kiln.touch_worker(p_worker_id);
  update public.jobs j
     set lease_expires_at = now() + make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer)),
         phase = coalesce(p_phase, j.phase),
         progress = coalesce(p_progress, j.progress),
         started_at = case when coalesce(p_phase, j.phase) = 'executing' then coalesce(j.started_at, now()) else j.started_at end
   where j.id = p_job_id
  returning * into v_job;
  if v_job.phase is distinct from v_before.phase then
    perform kiln.record_job_event(v_job, 'job.progress', jsonb_build_object('phase', v_job.phase));
  elsif v_job.progress is distinct from v_before.progress then
    perform kiln.publish_job_update(v_job, 'job.progress', gen_random_uuid());
  end if;
  return jsonb_build_object('cancel_requested', v_job.cancel_requested, 'lease_expires_at', v_job.lease_expires_at);
end $$;
grant execute on function kiln.heartbeat(uuid, uuid, bigint, public.job_phase, jsonb, integer) to service_role;

/** Ends a job. Succeeded keeps its charge; failed and canceled refund it, once, here. */
create function kiln.finish_job(
  p_job_id uuid, p_status public.job_status, p_outputs jsonb default null, p_error jsonb default null
) returns public.jobs
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs;
begin
  update public.jobs j
     set status = p_status, phase = null, lease_expires_at = null, finished_at = now(),
         outputs = coalesce(p_outputs, j.outputs), error = p_error
   where j.id = p_job_id
  returning * into v_job;
  if p_status in ('failed', 'canceled') and v_job.cost > 0 then
    perform kiln.post_credits(v_job.owner_id, v_job.cost, 'job_refund', v_job.id);
  end if;
  perform kiln.record_job_event(v_job, 'job.' || p_status,
    jsonb_strip_nulls(jsonb_build_object('attempt', v_job.attempts, 'error', p_error, 'refunded', case when p_status <> 'succeeded' then v_job.cost end)));
  return v_job;
end $$;
grant execute on function kiln.finish_job(uuid, public.job_status, jsonb, jsonb) to service_role;

/** The wait before the next attempt: base * 2^(attempt-1), capped, with ±25% jitter so retries spread out. */
create function kiln.retry_delay(p_attempt integer) returns interval
language plpgsql volatile set search_path = '' as $$
declare
  v_backoff jsonb := kiln.setting('retry_backoff');
begin
  return make_interval(secs => least((v_backoff ->> 'max_seconds')::numeric,
                                     (v_backoff ->> 'base_seconds')::numeric * power(2, greatest(p_attempt - 1, 0)))
                               * (0.75 + random() * 0.5));
end $$;
grant execute on function kiln.retry_delay(integer) to service_role;

/**
 * After an attempt failed or was abandoned: canceled if a cancel was requested; back in the queue after
 * `p_delay` if the error is retryable, attempts remain and the deadline allows; else failed (and refunded).
 */
create function kiln.retry_or_fail(p_job public.jobs, p_error jsonb, p_delay interval, p_reason text)
returns public.jobs
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs;
begin
  if p_job.cancel_requested then
    return kiln.finish_job(p_job.id, 'canceled');
  end if;
  if coalesce((p_error ->> 'retryable')::boolean, false)
     and p_job.attempts < p_job.max_attempts
     and (p_job.deadline is null or now() + p_delay < p_job.deadline) then
    update public.jobs j
       set status = 'queued', phase = null, progress = null, lease_expires_at = null,
           run_after = now() + p_delay, error = p_error
     where j.id = p_job.id
    returning * into v_job;
    perform kiln.record_job_event(v_job, 'job.queued', jsonb_build_object(
      'reason', p_reason, 'attempt', v_job.attempts, 'error', p_error, 'run_after', v_job.run_after));
    return v_job;
  end if;
  return kiln.finish_job(p_job.id, 'failed', null, p_error);
end $$;
grant execute on function kiln.retry_or_fail(public.jobs, jsonb, interval, text) to service_role;

/**
 * The worker finished: the job succeeds with its outputs, even if a cancel was requested meanwhile (the work is
 * done, so the charge stands). Returns the job summary.
 */
create function kiln.complete_job(p_job_id uuid, p_worker_id uuid, p_fencing_token bigint, p_outputs jsonb)
returns jsonb
language plpgsql set search_path = '' as $$
begin
  perform kiln.lock_held_job(p_job_id, p_worker_id, p_fencing_token);
  return kiln.job_summary(kiln.finish_job(p_job_id, 'succeeded', coalesce(p_outputs, '[]'::jsonb)));
end $$;
grant execute on function kiln.complete_job(uuid, uuid, bigint, jsonb) to service_role;

/**
 * The attempt failed with `p_error` = {code, message, retryable, node?, details?}. Retried with backoff
 * while retryable and attempts remain; else failed and refunded. Returns the job summary.
 */
create function kiln.fail_job(p_job_id uuid, p_worker_id uuid, p_fencing_token bigint, p_error jsonb)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs := kiln.lock_held_job(p_job_id, p_worker_id, p_fencing_token);
  v_error jsonb := jsonb_build_object('code', 'worker_error', 'message', 'the worker reported a failure', 'retryable', false)
                   || coalesce(p_error, '{}') || jsonb_build_object('attempt', v_job.attempts);
begin
  return kiln.job_summary(kiln.retry_or_fail(v_job, v_error, kiln.retry_delay(v_job.attempts), 'retry'));
end $$;
grant execute on function kiln.fail_job(uuid, uuid, bigint, jsonb) to service_role;

/** The worker stopped the job because its owner asked to: canceled and refunded. Requires a cancel request (KL007). */
create function kiln.report_canceled(p_job_id uuid, p_worker_id uuid, p_fencing_token bigint)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs := kiln.lock_held_job(p_job_id, p_worker_id, p_fencing_token);
begin
  if not v_job.cancel_requested then
    raise exception 'job % has no cancel request; report a failure instead', p_job_id using errcode = 'KL007';
  end if;
  return kiln.job_summary(kiln.finish_job(p_job_id, 'canceled'));
end $$;
grant execute on function kiln.report_canceled(uuid, uuid, bigint) to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
