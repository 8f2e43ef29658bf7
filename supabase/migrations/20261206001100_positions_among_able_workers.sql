-- A queue position counts the jobs ahead that the same workers could take. In a fleet where workers have different
-- models, a job needing a checkpoint only some workers have waits behind the jobs those workers can run, not behind
-- every job of its type. The snapshot therefore numbers the online workers of the type (0, 1, …, in `workers_can`'s
-- order), marks each queued job with the workers that can run it (`able`), and keeps the claim order per set of
-- workers (a class): the API adds up, over the classes that share a worker with the job, the jobs before it.
create or replace function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  with online as (
    select (row_number() over (order by w.id) - 1)::integer as n, w.capabilities -> 'can' as can
      from public.workers w
     where w.revoked_at is null and not w.draining and p_type = any(w.job_types)
       and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer)
  ),
  claimable as (
    select j.id, j.priority, j.queue_tag, j.run_after, j.requirements
      from public.jobs j
     where j.status = 'queued' and j.type = p_type and j.run_after <= now()
  ),
  -- Judged once per distinct set of requirements (a queue holds few), as claims judge: models always, node types
  -- where the worker reports them; a worker that reported nothing (null) is not judged. Materialized, or the
  -- planner judges each job again.
  kinds as materialized (
    select k.requirements,
           (select coalesce(jsonb_agg(o.n order by o.n), '[]'::jsonb)
              from online o
             where o.can is null
                or o.can @> case when o.can ? 'node_types' then k.requirements else k.requirements - 'node_types' end)
             as able
      from (select distinct c.requirements from claimable c) k
  ),
  -- Each set of able workers once, numbered, so the jobs are sorted and grouped by a number.
  classes as materialized (
    select a.able, (row_number() over ())::integer as class from (select distinct k.able from kinds k) a
  ),
  ordered as (
    select c.id, c.priority, c.queue_tag, (extract(epoch from c.run_after) * 1000000)::bigint as run_after_us, s.class,
           row_number() over (partition by s.class order by c.priority desc, c.queue_tag, c.run_after, c.id) - 1
             as ahead
      from claimable c
      join kinds k on k.requirements = c.requirements
      join classes s on s.able = k.able
  )
  select jsonb_build_object(
    'workers_online', (select count(*) from online),
    -- What each online worker of the type has, so the API can tell which of them can run a job.
    'workers_can', (select coalesce(jsonb_agg(coalesce(o.can, 'null'::jsonb) order by o.n), '[]'::jsonb) from online o),
    -- Per class: the claim order of its jobs, every key of the first p_exact, then one in p_every.
    'classes', (select coalesce(jsonb_agg(jsonb_build_object('able', s.able, 'keys', g.keys)), '[]'::jsonb)
                  from (select o.class,
                               jsonb_agg(jsonb_build_array(o.ahead, o.priority, o.queue_tag, o.run_after_us, o.id)
                                         order by o.ahead)
                                 filter (where o.ahead < p_exact or o.ahead % p_every = 0) as keys
                          from ordered o group by o.class) g
                  join classes s on s.class = g.class),
    -- What the snapshot cost the server (ms), so the API can space its refreshes by it.
    'cost_ms', extract(epoch from clock_timestamp() - now()) * 1000)
$$;
