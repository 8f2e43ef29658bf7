-- Each account's rate budget: requests per minute for reads and for job creation, shared by the account's
-- sessions and all its API keys. Null: the deployment's defaults (KILN_RATE_LIMIT_READ_PER_MINUTE,
-- KILN_RATE_LIMIT_CREATE_PER_MINUTE). Only an administrator sets them (PATCH /v1/admin/accounts/{id}/limits,
-- audited); users read them (the select grant on profiles is table-wide) and cannot write them (no update grant).
-- A key's own rate_limit_per_minute can only lower its account's budget: above it, the key is clamped to it.
alter table public.profiles
  add column rate_limit_read_per_minute integer check (rate_limit_read_per_minute between 1 and 1000000),
  add column rate_limit_create_per_minute integer check (rate_limit_create_per_minute between 1 and 1000000);
