/**
 * GoTrue's admin API for users, as auth-js's `auth.admin` calls it with the service key: create, list (page and
 * per_page, with X-Total-Count and a Link header), get, update and delete. A token without an admin role
 * (service_role, supabase_admin) is GoTrue's 403 not_admin; an id that is not a UUID, its 404 validation_failed.
 */
import type { Hono } from "hono";
import type postgres from "postgres";
import { UUID_PATTERN } from "../../../shared/uuid.ts";
import type { StackContext } from "../stack_context.ts";
import { requireAdmin } from "./access_tokens.ts";
import { hashPassword, validateEmail } from "./credentials.ts";
import { AuthError, badRequest, emailTaken } from "./errors.ts";
import { type Body, objectField, readBody, stringField } from "./request_body.ts";
import { createEmailUser, findUserById, type UserChanges, type UserRow, updateUser, userJson } from "./users.ts";

/** GoTrue's loadUser: the user of the path's id. */
async function loadUser(ctx: StackContext, id: string): Promise<UserRow> {
  if (!UUID_PATTERN.test(id)) throw new AuthError(404, "validation_failed", "user_id must be an UUID");
  const user = await findUserById(ctx.sql, id);
  if (!user) throw new AuthError(404, "user_not_found", "User not found");
  return user;
}

/** A positive page parameter, or GoTrue's 400. */
function pageParam(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw badRequest("validation_failed", `Bad Pagination Parameters: ${value}`);
  return Math.max(1, Number(value));
}

/** The changes an admin body asks for (email, password, email_confirm, user_metadata, app_metadata). */
async function adminChanges(body: Body): Promise<UserChanges> {
  const email = stringField(body, "email");
  const password = stringField(body, "password");
  return {
    email: email ? validateEmail(email) : undefined,
    passwordHash: password ? await hashPassword(password) : undefined,
    data: objectField(body, "user_metadata"),
    appData: objectField(body, "app_metadata"),
    confirmEmail: body.email_confirm === true,
  };
}

async function listUsers(sql: postgres.Sql, page: number, perPage: number) {
  const [{ total }] = await sql<{ total: number }[]>`select count(*)::int as total from auth.users`;
  const users = await sql<UserRow[]>`
    select * from auth.users order by created_at desc nulls last, id limit ${perPage} offset ${(page - 1) * perPage}`;
  return { total, users };
}

/** GoTrue's pagination Link header: the next page while there is one, and always the last. */
function paginationLink(url: URL, page: number, perPage: number, total: number): string {
  const pages = Math.ceil(total / perPage);
  const at = (n: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(n));
    return `<${u.pathname}${u.search}>`;
  };
  return `${pages > page ? `${at(page + 1)}; rel="next", ` : ""}${at(pages)}; rel="last"`;
}

/** Registers the /admin/users routes. */
export function registerAdminUsers(app: Hono, ctx: StackContext): void {
  app.use("/admin/*", async (c, next) => {
    await requireAdmin(ctx, c.req.header("authorization"));
    await next();
  });

  app.post("/admin/users", async (c) => {
    const body = await readBody(c);
    const changes = await adminChanges(body);
    if (!changes.email) {
      const phone = stringField(body, "phone");
      throw phone
        ? badRequest("phone_provider_disabled", "Phone logins are disabled")
        : badRequest("validation_failed", "Cannot create a user without either an email or phone");
    }
    const id = stringField(body, "id");
    if (id !== undefined && !UUID_PATTERN.test(id)) {
      throw badRequest("validation_failed", "ID must conform to the uuid v4 format");
    }
    const user = await createEmailUser(ctx.sql, {
      id,
      email: changes.email,
      // No password: GoTrue makes a random one, so the user can sign in only once one is set.
      passwordHash: changes.passwordHash ?? (await hashPassword(crypto.randomUUID())),
      data: changes.data ?? {},
      appData: changes.appData,
      confirmed: changes.confirmEmail === true,
      identityClaims: false,
      taken: emailTaken,
    });
    return c.json(userJson(user));
  });

  app.get("/admin/users", async (c) => {
    const page = pageParam(c.req.query("page"), 1);
    const perPage = pageParam(c.req.query("per_page"), 50);
    const { total, users } = await listUsers(ctx.sql, page, perPage);
    c.header("X-Total-Count", String(total));
    c.header("Link", paginationLink(new URL(c.req.url), page, perPage, total));
    return c.json({ users: users.map(userJson), aud: "authenticated" });
  });

  app.get("/admin/users/:id", async (c) => c.json(userJson(await loadUser(ctx, c.req.param("id")))));

  app.put("/admin/users/:id", async (c) => {
    const user = await loadUser(ctx, c.req.param("id"));
    const changes = await adminChanges(await readBody(c));
    const updated = await updateUser(ctx.sql, user, changes);
    return c.json(userJson(updated));
  });

  // should_soft_delete keeps the row (and so the account's jobs and ledger) with deleted_at set, its email and
  // password gone and its sessions ended, as GoTrue's soft delete does; otherwise the row goes, and what hangs off it.
  app.delete("/admin/users/:id", async (c) => {
    const user = await loadUser(ctx, c.req.param("id"));
    const body = await readBody(c);
    if (body.should_soft_delete === true) {
      await ctx.sql.begin(async (tx) => {
        await tx`delete from auth.sessions where user_id = ${user.id}`;
        await tx`update auth.users set deleted_at = coalesce(deleted_at, now()), email = null, encrypted_password = '',
                                       updated_at = now() where id = ${user.id}`;
      });
    } else {
      await ctx.sql`delete from auth.users where id = ${user.id}`;
    }
    return c.json({});
  });
}
