-- Who may use the kiln schema: its owner only. The Edge Functions, pg_cron's jobs and the migrations all run as the
-- database owner (on hosted, `postgres`, which owns what the migrations create), so they need no grant; PostgREST
-- does not expose kiln; and no API role (anon, authenticated, service_role) has rights on its tables.
-- Earlier migrations granted execute on each kiln function (and usage on the schema and the fencing sequence) to
-- service_role. Those grants let nobody do anything: a kiln function runs as its caller, and service_role may not
-- read the tables the functions use. They are revoked here rather than made true: a second privileged path into
-- the lifecycle, beside the functions' own, is what Kiln does not want.
revoke execute on all functions in schema kiln from service_role;
revoke all on all sequences in schema kiln from service_role;
revoke all on all tables in schema kiln from service_role;
revoke usage on schema kiln from service_role;
