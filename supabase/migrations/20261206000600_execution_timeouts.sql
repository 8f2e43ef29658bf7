-- How long a job's prompt may execute in ComfyUI. The clock is the worker's, started when ComfyUI starts
-- executing the prompt (not at claim: a job that waited in ComfyUI's queue has not used its time). Past it, the
-- worker interrupts ComfyUI and fails the job, not retryable (a graph that ran this long once will again; an
-- operator raises the limit). So a wedged ComfyUI cannot hold a job forever while heartbeats keep its lease alive.
-- The limit: a stored workflow's own, else the job type's, else the default; never more than the cap. Like other
-- job APIs' limits: 10 minutes by default, at most 30.
insert into kiln.settings (key, value, description) values
  ('execution_timeout', '{"default_seconds": 600, "max_seconds": 1800, "by_type": {}}',
   'Seconds a prompt may execute: default_seconds, per job type in by_type, a workflow''s own; at most max_seconds.')
on conflict (key) do nothing;

alter table public.workflows
  add column execution_timeout_seconds integer check (execution_timeout_seconds between 1 and 86400);
comment on column public.workflows.execution_timeout_seconds is
  'Seconds this workflow''s prompts may execute; null: the job type''s or the default (kiln.settings execution_timeout).';

/** The execution timeout of a job of `p_type`, run with a workflow whose own limit is `p_workflow_seconds`. */
create function kiln.execution_timeout_seconds(p_type text, p_workflow_seconds integer default null)
returns integer
language sql stable set search_path = '' as $$
  select least(
    coalesce(p_workflow_seconds, (s.value -> 'by_type' ->> p_type)::integer, (s.value ->> 'default_seconds')::integer),
    (s.value ->> 'max_seconds')::integer)
    from (select kiln.setting('execution_timeout') as value) s
$$;
revoke all on function kiln.execution_timeout_seconds(text, integer) from public;
