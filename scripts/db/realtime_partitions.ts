/**
 * The daily partitions of realtime.messages, which hosted Realtime creates and drops itself: today's (UTC) and
 * the `keep` days before it and the `ahead` days after it exist, and older ones go. Without today's partition
 * realtime.send would drop every message (with a WARNING), as it does on hosted when Realtime has not made it.
 * A local stand-in for Realtime's own housekeeping: migrate() runs it, test databases run it when cloned, and the
 * local stack runs it every hour. A database whose realtime.messages is not partitioned (an older shim) is left alone.
 */
import type { Queryable } from "./database.ts";

export async function ensureMessagePartitions(db: Pick<Queryable, "exec">, ahead = 3, keep = 3): Promise<void> {
  await db.exec(`
    do $$
    declare
      v_today date := (now() at time zone 'utc')::date;
      v_day date;
      v_old record;
    begin
      if not exists (select 1 from pg_partitioned_table p where p.partrelid = 'realtime.messages'::regclass) then
        return;
      end if;
      for v_day in select generate_series(v_today - ${keep}, v_today + ${ahead}, interval '1 day')::date loop
        execute format('create table if not exists realtime.%I partition of realtime.messages for values from (%L) to (%L)',
                       'messages_' || to_char(v_day, 'YYYY_MM_DD'), v_day, v_day + 1);
      end loop;
      for v_old in
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'realtime.messages'::regclass and c.relname ~ '^messages_\\d{4}_\\d{2}_\\d{2}$'
           and to_date(substr(c.relname, 10), 'YYYY_MM_DD') < v_today - ${keep}
      loop
        execute format('drop table realtime.%I', v_old.relname);
      end loop;
    end $$;`);
}
