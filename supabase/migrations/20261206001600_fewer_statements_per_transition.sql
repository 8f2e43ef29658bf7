-- Less work per transition for the database's CPU (the claim + complete cycle is CPU-bound inside Postgres):
-- - A claim hands each job it took to its loop as one composite value, where it expanded the row with `(c.job).*`:
--   that is a field selection per column, each walking the row from its start (~10% of kiln.claim_jobs' own time).
-- - The webhook outbox is probed with one query per transition instead of two: whether the event type is one webhooks
--   carry and whether the job has anywhere to send it.
-- Both functions are otherwise as 20261206001200_claims_from_the_queue_table and
-- 20261206001300_webhook_payload_when_delivered define them.

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
  v_claim record;
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
    for v_claim in
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
      select c.job from claimed c order by c.n
    loop
      v_job := v_claim.job;
      perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
      v_got := v_got + 1;
      return next v_job;
    end loop;
    v_claimed := v_claimed + v_got;
    exit when v_got = 0;
    exit when v_claimed >= p_limit or not v_caps;
  end loop;
end $$;

create or replace function kiln.enqueue_webhooks(p_job public.jobs, p_event_id uuid, p_type text, p_summary jsonb)
returns void
language plpgsql set search_path = '' as $$
begin
  -- Most accounts have no endpoint: this probe spares them the insert below on every transition.
  if not exists (
       select 1 from kiln.job_event_types t
        where t.type = p_type::public.job_event_type and t.webhook
          and (p_job.webhook_url is not null
               or exists (select 1 from public.webhook_endpoints e where e.owner_id = p_job.owner_id and e.enabled))) then
    return;
  end if;
  insert into public.webhook_deliveries as d
    (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, next_attempt_at)
  select p_job.owner_id, t.endpoint_id, t.url, p_job.id, p_event_id, p_type,
         jsonb_build_object('id', p_event_id, 'type', p_type, 'created_at', now(), 'data', p_summary),
         case when p_type = 'job.progress' then kiln.next_progress_at(p_job.id, t.endpoint_id) else now() end
    from (
      select e.id as endpoint_id, e.url
        from public.webhook_endpoints e
       where e.owner_id = p_job.owner_id and e.enabled and (p_type = any(e.events) or '*' = any(e.events))
      union all
      select null, p_job.webhook_url
       where p_job.webhook_url is not null
         and (p_job.webhook_events is null or p_type = any(p_job.webhook_events) or '*' = any(p_job.webhook_events))
    ) t
  on conflict (job_id, (coalesce(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid)))
    where event_type = 'job.progress' and status = 'pending' and attempts = 0
  do update set payload = excluded.payload, event_id = excluded.event_id, created_at = excluded.created_at,
                seq = default;
end $$;
