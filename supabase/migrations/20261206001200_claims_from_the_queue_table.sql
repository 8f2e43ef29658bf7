-- Redefined in 20261206001600_fewer_statements_per_transition (kiln.claim_jobs: the loop takes each job whole).
-- Claims read the claim order from kiln.job_queue (20261206001100) and lock the jobs rows they take, as every other
-- change of a job does; the claim itself is one statement (pick past what other claimers hold, then take).
--
-- The function's statements are planned once per connection, not on every call: their custom plans came out the same
-- as the generic one (the claim order's index, stopped at the limit), and planning them again cost a claim more than
-- running them (~545 → ~409 µs of the function's own time under 8 claimers).

create or replace function kiln.claim_jobs(
  p_worker_id uuid, p_job_types text[], p_limit integer, p_lease_seconds integer default null,
  p_loaded_models text[] default null
) returns setof public.jobs
language plpgsql set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_lease interval := make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer));
  v_affinity interval := make_interval(secs => (kiln.setting('model_affinity_wait_seconds'))::integer);
  v_prefer boolean := v_affinity > interval '0' and coalesce(cardinality(p_loaded_models), 0) > 0;
  v_running_cap integer := (kiln.setting('max_running_jobs'))::integer;
  v_caps boolean;
  v_worker public.workers;
  v_can jsonb;
  -- Accounts at their running cap: none of their jobs is claimed.
  v_capped uuid[] := '{}';
  v_want integer;
  v_ids uuid[];
  v_claimed integer := 0;
  v_got integer;
  v_job public.jobs;
begin
  perform set_config('synchronous_commit', 'off', true);
  v_worker := kiln.touch_worker(p_worker_id);
  if v_worker.draining then
    return;
  end if;
  v_can := v_worker.capabilities -> 'can';
  v_caps := v_running_cap > 0 or exists (select 1 from public.profiles p where p.max_running_jobs > 0);
  loop
    -- Under caps one job at a time, each counted as running before the next is picked.
    v_want := case when v_caps then 1 else p_limit - v_claimed end;
    if v_caps then
      -- Only accounts with jobs running can be at a cap: as many rows as jobs run now, at most.
      select coalesce(array_agg(r.owner_id), '{}') into v_capped
        from (select r.owner_id, count(*) as running from kiln.job_running r group by r.owner_id) r
        join public.profiles p on p.id = r.owner_id
       where r.running >= nullif(coalesce(p.max_running_jobs, v_running_cap), 0);
    end if;

    -- 4. The loaded model first, among the first claimable jobs in claim order (looked at without locks).
    -- Locks are taken on the jobs rows, as everything that changes a job takes them (kiln.job_queue's rows are only
    -- written under them), and the job's status is checked again on the row locked.
    v_ids := '{}';
    if v_prefer then
      select coalesce(array_agg(p.id), '{}') into v_ids
        from (select j.id
                from public.jobs j
                join (select f.job_id, f.priority, f.queue_tag, f.run_after,
                             f.run_after > now() - v_affinity
                               and not kiln.uses_loaded_model(f.requirements, p_loaded_models) as later
                        from kiln.job_queue f
                       where f.run_after <= now() and f.type = any(p_job_types)
                         and (f.deadline is null or f.deadline > now())
                         and (v_can is null or v_can @> case when v_can ? 'node_types' then f.requirements
                                                            else f.requirements - 'node_types' end)
                         and f.owner_id <> all(v_capped)
                       order by f.priority desc, f.queue_tag, f.run_after, f.job_id
                       limit v_want + 32) front on front.job_id = j.id
               where j.status = 'queued'
               order by front.priority desc, front.later, front.queue_tag, front.run_after, front.job_id
               limit v_want
                 for update of j skip locked) p;
    end if;
    -- 1-3, 5: the rest in claim order, past whatever other claimers hold, and the claim itself: one statement.
    v_got := 0;
    for v_job in
      with picked as (
        select j.id, cardinality(v_ids) + row_number() over () as n
          from (select j.id
                  from kiln.job_queue q
                  join public.jobs j on j.id = q.job_id
                 where cardinality(v_ids) < v_want
                   and q.run_after <= now() and q.type = any(p_job_types)
                   and (q.deadline is null or q.deadline > now())
                   -- Only jobs whose models (and node types, where the worker reports them) its ComfyUI has.
                   and (v_can is null or v_can @> case when v_can ? 'node_types' then q.requirements
                                                      else q.requirements - 'node_types' end)
                   and q.owner_id <> all(v_capped) and q.job_id <> all(v_ids)
                   and j.status = 'queued'
                 order by q.priority desc, q.queue_tag, q.run_after, q.job_id
                 limit v_want - cardinality(v_ids)
                   for update of j skip locked) j
        union all
        select u.id, u.n from unnest(v_ids) with ordinality as u(id, n)
      ),
      claimed as (
        update public.jobs j
           set status = 'running', phase = 'claimed', progress = null, worker_id = p_worker_id,
               fencing_token = nextval('kiln.fencing_tokens'), attempts = j.attempts + 1,
               lease_expires_at = now() + v_lease, claimed_at = now(), started_at = null
          from picked p
         where j.id = p.id
        returning j as job, p.n
      )
      select (c.job).* from claimed c order by c.n
    loop
      perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
      v_got := v_got + 1;
      return next v_job;
    end loop;
    v_claimed := v_claimed + v_got;
    exit when v_got = 0;
    exit when v_claimed >= p_limit or not v_caps;
  end loop;
end $$;
