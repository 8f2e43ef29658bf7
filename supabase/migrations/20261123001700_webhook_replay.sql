-- Webhook delivery, part 3 of 3: replays and test pings on request, and the NOTIFY that wakes the local stack's
-- dispatcher loop.

/**
 * Sends a finished delivery again: a new delivery of the same event (same webhook-id, so receivers that
 * already have it can tell), due now, with a full schedule of its own; the original keeps its log. Refused while
 * the original is pending (KL007) or its endpoint is disabled (KL007: enable it first). `p_owner_id` null: an
 * administrator; another owner's delivery is not found (KL005). Returns the new delivery's id.
 */
create function kiln.replay_delivery(p_delivery_id uuid, p_owner_id uuid default null) returns uuid
language plpgsql set search_path = '' as $$
declare
  v_original public.webhook_deliveries;
  v_id uuid;
begin
  select * into v_original from public.webhook_deliveries d
   where d.id = p_delivery_id and (p_owner_id is null or d.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook delivery %', p_delivery_id using errcode = 'KL005';
  end if;
  if v_original.status = 'pending' then
    raise exception 'delivery % is still pending; it will be tried again at %', p_delivery_id, v_original.next_attempt_at
      using errcode = 'KL007', detail = jsonb_build_object('status', v_original.status)::text;
  end if;
  if exists (select 1 from public.webhook_endpoints e where e.id = v_original.endpoint_id and not e.enabled) then
    raise exception 'the endpoint of delivery % is disabled; enable it before replaying', p_delivery_id
      using errcode = 'KL007', detail = jsonb_build_object('endpoint_id', v_original.endpoint_id)::text;
  end if;
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, replay_of)
  values (v_original.owner_id, v_original.endpoint_id, v_original.url, v_original.job_id, v_original.event_id,
          v_original.event_type, v_original.payload, v_original.id)
  returning id into v_id;
  return v_id;
end $$;
grant execute on function kiln.replay_delivery(uuid, uuid) to service_role;

/**
 * Replays every dead delivery of an endpoint created since `p_since` (after an outage was fixed), in their
 * original order, skipping events already pending again. Same refusals as replay_delivery. Returns how many.
 */
create function kiln.replay_failed_deliveries(p_endpoint_id uuid, p_since timestamptz, p_owner_id uuid default null)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_count integer;
begin
  v_endpoint := kiln.owned_webhook_endpoint(p_endpoint_id, p_owner_id);
  if not v_endpoint.enabled then
    raise exception 'webhook endpoint % is disabled; enable it before replaying', p_endpoint_id using errcode = 'KL007';
  end if;
  -- The unsent-progress index admits one pending fresh progress per job and target: a replay never adds a second.
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, replay_of)
  select d.owner_id, d.endpoint_id, d.url, d.job_id, d.event_id, d.event_type, d.payload, d.id
    from public.webhook_deliveries d
   where d.endpoint_id = p_endpoint_id and d.status = 'dead' and d.created_at >= p_since
     and not exists (select 1 from public.webhook_deliveries p
                      where p.endpoint_id = p_endpoint_id and p.event_id = d.event_id and p.status = 'pending')
   order by d.seq
  on conflict do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
grant execute on function kiln.replay_failed_deliveries(uuid, timestamptz, uuid) to service_role;

/** Queues a `ping` event to an endpoint (POST /v1/webhooks/:id/test); returns the delivery id. KL005: not found. */
create function kiln.enqueue_webhook_ping(p_endpoint_id uuid, p_owner_id uuid default null) returns uuid
language plpgsql set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_event_id uuid := gen_random_uuid();
  v_id uuid;
begin
  v_endpoint := kiln.owned_webhook_endpoint(p_endpoint_id, p_owner_id);
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, event_id, event_type, payload)
  values (v_endpoint.owner_id, v_endpoint.id, v_endpoint.url, v_event_id, 'ping',
          jsonb_build_object('id', v_event_id, 'type', 'ping', 'created_at', now(),
                             'data', jsonb_build_object('endpoint_id', v_endpoint.id,
                                                        'message', 'A test event from Kiln: this endpoint receives webhooks.')))
  returning id into v_id;
  return v_id;
end $$;
grant execute on function kiln.enqueue_webhook_ping(uuid, uuid) to service_role;

/**
 * Where the local stack runs the dispatcher as a loop, a delivery wakes it at once: NOTIFY `kiln_dispatch`, only
 * while `kiln.dispatch_notify` is on (the stack sets it). Nowhere else: a transaction that NOTIFYs holds a
 * database-wide lock through its commit. Once per statement, however many rows it wrote.
 */
create function kiln.tg_webhook_deliveries__notify() returns trigger
language plpgsql set search_path = '' as $$
begin
  if current_setting('kiln.dispatch_notify', true) = 'on' then
    perform pg_notify('kiln_dispatch', '');
  end if;
  return null;
end $$;
create trigger _900_notify after insert on public.webhook_deliveries
  for each statement execute function kiln.tg_webhook_deliveries__notify();

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
