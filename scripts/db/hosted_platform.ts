/**
 * What scripts/db/platform.sql imitates of a hosted Supabase project, fact by fact, as measured on the hosted
 * schema (../shared/reference/supabase-platform.md, "Hosted platform, as measured"; Supabase's own SQL). The shim
 * test checks every fact against a database the shim made, so drift between the two is caught. Add the fact here
 * before the shim relies on it.
 */

/** `schema.name(argument types)` → its result type, as `pg_get_function_result` prints it. */
export const HOSTED_FUNCTIONS: Record<string, string> = {
  "auth.uid()": "uuid",
  "auth.role()": "text",
  "auth.jwt()": "jsonb",
  "realtime.send(jsonb, text, text, boolean)": "void",
  "realtime.topic()": "text",
  "storage.protect_delete()": "trigger",
  "storage.foldername(text)": "text[]",
  "storage.filename(text)": "text",
  "storage.extension(text)": "text",
};

/** Columns each table has on hosted (others may exist), with their types as `format_type` prints them. */
export const HOSTED_COLUMNS: Record<string, Record<string, string>> = {
  "auth.users": {
    instance_id: "uuid",
    id: "uuid",
    aud: "character varying(255)",
    role: "character varying(255)",
    email: "character varying(255)",
    encrypted_password: "character varying(255)",
    email_confirmed_at: "timestamp with time zone",
    invited_at: "timestamp with time zone",
    confirmation_token: "character varying(255)",
    confirmation_sent_at: "timestamp with time zone",
    recovery_token: "character varying(255)",
    recovery_sent_at: "timestamp with time zone",
    email_change_token_new: "character varying(255)",
    email_change: "character varying(255)",
    email_change_sent_at: "timestamp with time zone",
    email_change_token_current: "character varying(255)",
    email_change_confirm_status: "smallint",
    last_sign_in_at: "timestamp with time zone",
    raw_app_meta_data: "jsonb",
    raw_user_meta_data: "jsonb",
    is_super_admin: "boolean",
    created_at: "timestamp with time zone",
    updated_at: "timestamp with time zone",
    phone: "text",
    confirmed_at: "timestamp with time zone",
    banned_until: "timestamp with time zone",
    is_sso_user: "boolean",
    deleted_at: "timestamp with time zone",
    is_anonymous: "boolean",
  },
  "auth.mfa_amr_claims": {
    session_id: "uuid",
    created_at: "timestamp with time zone",
    updated_at: "timestamp with time zone",
    authentication_method: "text",
    id: "uuid",
  },
  "realtime.messages": {
    topic: "text",
    extension: "text",
    payload: "jsonb",
    event: "text",
    private: "boolean",
    updated_at: "timestamp without time zone",
    inserted_at: "timestamp without time zone",
    id: "uuid",
    binary_payload: "bytea",
  },
  "storage.buckets": {
    id: "text",
    name: "text",
    owner: "uuid",
    owner_id: "text",
    public: "boolean",
    file_size_limit: "bigint",
    allowed_mime_types: "text[]",
    created_at: "timestamp with time zone",
    updated_at: "timestamp with time zone",
  },
  "storage.objects": {
    id: "uuid",
    bucket_id: "text",
    name: "text",
    owner: "uuid",
    owner_id: "text",
    metadata: "jsonb",
    user_metadata: "jsonb",
    path_tokens: "text[]",
    version: "text",
    created_at: "timestamp with time zone",
    updated_at: "timestamp with time zone",
    last_accessed_at: "timestamp with time zone",
  },
};

/** Columns that have no default on hosted, so every insert must name them. */
export const HOSTED_NO_DEFAULT = ["auth.users.id"];

/** Unique indexes by name: `table (definition)` as pg_indexes shows the part after USING. */
export const HOSTED_UNIQUE_INDEXES: Record<string, string> = {
  "auth.users_email_partial_key": "btree (email) WHERE (is_sso_user = false)",
};

/** Tables partitioned on hosted, with the key. */
export const HOSTED_PARTITIONED: Record<string, string> = {
  "realtime.messages": "RANGE (inserted_at)",
};

/** Triggers the platform puts on its tables. */
export const HOSTED_TRIGGERS: Record<string, string> = {
  "storage.buckets.protect_buckets_delete": "storage.protect_delete",
  "storage.objects.protect_objects_delete": "storage.protect_delete",
};

/** Role attributes of the API roles. */
export const HOSTED_ROLES: Record<
  string,
  { inherit: boolean; bypassrls: boolean; superuser: boolean; login: boolean }
> = {
  anon: { inherit: true, bypassrls: false, superuser: false, login: false },
  authenticated: { inherit: true, bypassrls: false, superuser: false, login: false },
  service_role: { inherit: true, bypassrls: true, superuser: false, login: false },
};

/** Table privileges of the API roles on platform tables (at least these). */
export const HOSTED_GRANTS: Record<string, Record<string, string[]>> = {
  "realtime.messages": {
    anon: ["SELECT", "INSERT", "UPDATE"],
    authenticated: ["SELECT", "INSERT", "UPDATE"],
    service_role: ["SELECT", "INSERT", "UPDATE"],
  },
};

/** Tables with row level security on. */
export const HOSTED_RLS = ["realtime.messages", "storage.buckets", "storage.objects"];
