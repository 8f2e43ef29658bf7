/**
 * `kiln admin grant|revoke <email>`: makes an account an administrator, or a user again, through the project's
 * database URL (the connection string of Project Settings → Database; locally the stack's). Audited as
 * `account.role_changed` with the operating-system user who ran it.
 */
import { userInfo } from "node:os";
import postgres from "postgres";
import { setRole } from "./admin_role.ts";
import { CliError, type CliIo, EXIT, say, UsageError } from "./cli_io.ts";
import { type Command, parseCommandArgs, printHelp } from "./command_args.ts";

/** The database the local stack (`npm start`) serves. */
export const LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:54322/postgres";

const ADMIN_HELP = `Usage: kiln admin grant <email>     make the account an administrator
       kiln admin revoke <email>    make it a user again

Changes the account's role in the project's database and writes an audit row (account.role_changed). Use it
for a project's first admin; after that, admins manage the rest from the dashboard or the API.

  --db-url <url>   the project's database connection string (or set SUPABASE_DB_URL or DATABASE_URL;
                   default ${LOCAL_DATABASE_URL}, the local stack's)`;

export const adminCommand: Command = {
  name: "admin",
  summary: "grant or revoke the admin role (the project's first admin), by database URL",
  help: ADMIN_HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, help } = parseCommandArgs(
      args,
      { "db-url": { type: "string" } },
      { min: 2, max: 2, names: "grant|revoke and an email" },
    );
    if (help) return printHelp(io, ADMIN_HELP);
    const [action, email] = positionals;
    if (action !== "grant" && action !== "revoke") throw new UsageError(`unknown action ${JSON.stringify(action)}`);
    const url = values["db-url"] || io.env.SUPABASE_DB_URL || io.env.DATABASE_URL || LOCAL_DATABASE_URL;
    const role = action === "grant" ? "admin" : "user";
    const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      const result = await setRole(sql, email, role, `kiln admin (${userInfo().username})`);
      if (!result.userId) throw new CliError(`no account has the email ${email}`);
      say(
        io,
        result.changed
          ? `${email} (user ${result.userId}) is now ${role === "admin" ? "an admin" : "a user"}.`
          : `${email} (user ${result.userId}) already was ${role === "admin" ? "an admin" : "a user"}; nothing changed.`,
      );
      return EXIT.ok;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
