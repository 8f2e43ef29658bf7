-- Weighted fair share. An account's `queue_weight` (1 by default) is how many turns it takes for every one of an
-- account of weight 1 while both have jobs waiting: its jobs' queue tags step by 1000 / weight instead of 1000. So a
-- paid tier can get twice the GPUs of a free one under contention, and still nothing when it queues nothing (the
-- order stays work-conserving). Tags are only compared, never counted, so the larger step changes no one's place.
alter table public.profiles add column queue_weight integer not null default 1 check (queue_weight between 1 and 100);
comment on column public.profiles.queue_weight is
  'Turns this account takes for each turn of a weight-1 account while both have jobs queued (fair share).';

create or replace function kiln.tg_jobs__queue_tag() returns trigger
language plpgsql set search_path = '' as $$
declare
  v_front bigint;
  v_last bigint;
  v_step bigint := 1000;
begin
  select j.queue_tag into v_front
    from public.jobs j where j.status = 'queued' and j.priority = new.priority order by j.queue_tag limit 1;
  if (kiln.setting('fair_share'))::boolean then
    select j.queue_tag into v_last
      from public.jobs j
     where j.owner_id = new.owner_id and j.status = 'queued' and j.priority = new.priority
     order by j.queue_tag desc limit 1;
    select 1000 / p.queue_weight into v_step from public.profiles p where p.id = new.owner_id;
  else
    select j.queue_tag into v_last
      from public.jobs j where j.status = 'queued' and j.priority = new.priority order by j.queue_tag desc limit 1;
  end if;
  new.queue_tag := greatest(v_last + coalesce(v_step, 1000), v_front, 0);
  return new;
end $$;
