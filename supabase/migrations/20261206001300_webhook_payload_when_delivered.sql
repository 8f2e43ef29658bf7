-- Redefined in 20261206001600_fewer_statements_per_transition (kiln.enqueue_webhooks: one probe).
-- The webhook payload is built only where a delivery will carry it (most accounts have no endpoint).
create or replace function kiln.enqueue_webhooks(p_job public.jobs, p_event_id uuid, p_type text, p_summary jsonb)
returns void
language plpgsql set search_path = '' as $$
begin
  if not exists (select 1 from kiln.job_event_types t where t.type = p_type::public.job_event_type and t.webhook) then
    return;
  end if;
  -- Most accounts have no endpoint: this probe spares them the insert below on every transition.
  if p_job.webhook_url is null
     and not exists (select 1 from public.webhook_endpoints e where e.owner_id = p_job.owner_id and e.enabled) then
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
