/**
 * Making an account an administrator (or a user again), straight in the database: how a project gets its first
 * admin, since only an admin can make one through the API. The change and its audit row are one statement, and
 * an account already in the role is left alone (no second audit row).
 */
import type postgres from "postgres";

export type Role = "admin" | "user";

export interface RoleChange {
  /** The account, or undefined when no user has this email. */
  userId: string | undefined;
  /** Whether the role changed (false when the account already had it). */
  changed: boolean;
}

/** Sets the role of the account with `email`; `by` names who did it, for the audit log. */
export async function setRole(sql: postgres.Sql, email: string, role: Role, by: string): Promise<RoleChange> {
  const [row] = await sql<{ user_id: string | null; changed: boolean }[]>`
    with target as (select u.id from auth.users u where lower(u.email) = lower(${email})),
    changed as (
      update public.profiles p set role = ${role}::public.profile_role
        from target where p.id = target.id and p.role <> ${role}::public.profile_role
      returning p.id
    ), audit as (
      insert into public.audit_log (actor_kind, action, target_type, target_id, details)
      select 'system', 'account.role_changed', 'account', changed.id::text,
             jsonb_build_object('role', ${role}::text, 'email', ${email}::text, 'by', ${by}::text)
        from changed
    )
    select (select id from target) as user_id, exists (select 1 from changed) as changed`;
  return { userId: row.user_id ?? undefined, changed: row.changed };
}
