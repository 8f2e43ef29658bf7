/**
 * `kiln login` and `kiln logout`: a user session for following jobs over Realtime (API calls still use
 * KILN_API_KEY). The password comes from --password or KILN_PASSWORD; the session is kept per project URL in
 * <config dir>/session.json and refreshed when it nears expiry (session_store.ts).
 */
import { type CliIo, EXIT, say, UsageError } from "./cli_io.ts";
import { type Command, parseCommandArgs, printHelp } from "./command_args.ts";
import { readConfig } from "./config.ts";
import { login, logout } from "./session_store.ts";

const LOGIN_HELP = `Usage: kiln login --email <email> [--password <password>]

Signs in at SUPABASE_URL (Supabase Auth, email and password) and keeps the session in
$KILN_CONFIG_DIR/session.json (default ~/.config/kiln/session.json, readable only by you). With a session,
\`kiln submit --wait\` and \`kiln wait\` follow jobs over Realtime instead of polling. API calls still use
KILN_API_KEY: the key and the signed-in user should be the same account.

  -e, --email <email>         the account's email
  -p, --password <password>   its password (or set KILN_PASSWORD, which keeps it out of your shell history)`;

export const loginCommand: Command = {
  name: "login",
  summary: "sign in, so that waiting follows jobs over Realtime",
  help: LOGIN_HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const options = { email: { type: "string", short: "e" }, password: { type: "string", short: "p" } } as const;
    const { values, help } = parseCommandArgs(args, options);
    if (help) return printHelp(io, LOGIN_HELP);
    if (!values.email) throw new UsageError("--email is required");
    const password = values.password ?? io.env.KILN_PASSWORD;
    if (!password) throw new UsageError("give --password, or set KILN_PASSWORD");
    const config = readConfig(io);
    const session = await login(config, values.email, password);
    const expires = session.expiresAt ? new Date(session.expiresAt * 1000).toLocaleTimeString() : "later";
    say(io, `Signed in at ${config.supabaseUrl} as ${session.email ?? session.userId} (user ${session.userId}).`);
    say(io, `The session is refreshed as needed (this token expires at ${expires}).`);
    return EXIT.ok;
  },
};

const LOGOUT_HELP = `Usage: kiln logout

Forgets the session \`kiln login\` stored for SUPABASE_URL; waiting falls back to polling.`;

export const logoutCommand: Command = {
  name: "logout",
  summary: "forget the stored session",
  help: LOGOUT_HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    if (parseCommandArgs(args, {}).help) return printHelp(io, LOGOUT_HELP);
    const config = readConfig(io);
    say(io, (await logout(config)) ? `Signed out of ${config.supabaseUrl}.` : `No session for ${config.supabaseUrl}.`);
    return EXIT.ok;
  },
};
