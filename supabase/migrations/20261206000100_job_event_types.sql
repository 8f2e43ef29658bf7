-- One source for the events a job emits. kiln.job_event_types lists them; every job_events row names one; and
-- whether webhooks carry an event is a column there, where two functions used to repeat the list.
-- shared/job_states.ts mirrors the table (JOB_EVENTS), and schema.test.ts checks that the two agree.
-- kiln.enqueue_webhooks is redefined in 20261206001300_webhook_payload_when_delivered.

create table kiln.job_event_types (
  type text primary key,
  -- Whether webhooks may subscribe to it and are sent it. job.cancel_requested is the owner's own request,
  -- answered by a job.canceled: it reaches the owner's Realtime topic and the event log, no webhook.
  webhook boolean not null
);
insert into kiln.job_event_types (type, webhook) values
  ('job.queued', true),
  ('job.started', true),
  ('job.progress', true),
  ('job.succeeded', true),
  ('job.failed', true),
  ('job.canceled', true),
  ('job.cancel_requested', false);
alter table kiln.job_event_types enable row level security;

-- An event of a type nobody knows about is a bug in a lifecycle function: refused, not logged.
alter table public.job_events
  add constraint job_events_type_known foreign key (type) references kiln.job_event_types (type);

/**
 * Writes the outbox rows for one job event (as 20261123001600_webhook_dispatch did), for the types that
 * kiln.job_event_types marks for webhooks.
 */
create or replace function kiln.enqueue_webhooks(p_job public.jobs, p_event_id uuid, p_type text, p_summary jsonb)
returns void
language plpgsql set search_path = '' as $$
declare
  v_payload jsonb := jsonb_build_object('id', p_event_id, 'type', p_type, 'created_at', now(), 'data', p_summary);
begin
  if not exists (select 1 from kiln.job_event_types t where t.type = p_type and t.webhook) then
    return;
  end if;
  -- Most accounts have no endpoint: this probe spares them the insert below on every transition.
  if p_job.webhook_url is null
     and not exists (select 1 from public.webhook_endpoints e where e.owner_id = p_job.owner_id and e.enabled) then
    return;
  end if;
  insert into public.webhook_deliveries as d
    (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, next_attempt_at)
  select p_job.owner_id, t.endpoint_id, t.url, p_job.id, p_event_id, p_type, v_payload,
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
