-- A job's events go with it through triggers on jobs instead of a foreign key. The key made every event insert check
-- its job (a query a transition) and lock the job's row FOR KEY SHARE, a WAL record of its own when the transition
-- had updated the row without locking it first (a report: 54 bytes a cycle). Events are only ever written by the
-- kiln.* lifecycle functions, in the transaction that creates or changes their job while holding its row, so no
-- event can name a job that is not there. What the key still did: delete the events with their job (a deleted
-- account's jobs, retention, tests), which the triggers below do a statement at a time, and tell PostgREST how to
-- embed events in jobs, which the two functions at the end do.

alter table public.job_events drop constraint job_events_job_id_fkey;

create function kiln.tg_jobs__delete_events() returns trigger
language plpgsql set search_path = '' as $$
begin
  delete from public.job_events e using deleted_jobs d where e.job_id = d.id;
  return null;
end $$;
revoke all on function kiln.tg_jobs__delete_events() from public;
create trigger _900_delete_events after delete on public.jobs
  referencing old table as deleted_jobs
  for each statement execute function kiln.tg_jobs__delete_events();

-- Truncating jobs no longer cascades to job_events by the key: the truncate trigger empties it with the narrow tables.
create or replace function kiln.tg_jobs__truncate_state() returns trigger
language plpgsql set search_path = '' as $$
begin
  truncate kiln.job_queue, kiln.job_running, public.job_events;
  return null;
end $$;

-- PostgREST embeds one table in another's rows through a foreign key, or, where there is none, through a computed
-- relationship (PostgREST 11 and later): a function of `public` named after the related table that takes a row and
-- returns the related rows. These two keep `jobs?select=*,job_events(*)` and `job_events?select=*,jobs(*)` working
-- without the key. They run as the caller, so RLS decides what they return, as it does for the tables.
create function public.job_events(p_job public.jobs) returns setof public.job_events
language sql stable set search_path = '' as $$
  select e.* from public.job_events e where e.job_id = p_job.id order by e.seq
$$;
create function public.jobs(p_event public.job_events) returns setof public.jobs rows 1
language sql stable set search_path = '' as $$
  select j.* from public.jobs j where j.id = p_event.job_id
$$;
revoke all on function public.job_events(public.jobs), public.jobs(public.job_events) from public, anon;
grant execute on function public.job_events(public.jobs), public.jobs(public.job_events) to authenticated, service_role;
