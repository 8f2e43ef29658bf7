/**
 * The command-line client as one function: `runCli(argv, io)` picks the command, runs it and turns what it
 * throws into one clear message and an exit code: bad usage or a missing setting → 2, an API refusal (its code,
 * message and request id) or another failure → 1. main.ts calls it with the real process; tests call it with
 * their own io, in-process.
 */
import { adminCommand } from "./admin_command.ts";
import { ApiError, describeApiError } from "./api_client.ts";
import { CliError, type CliIo, ConfigError, EXIT, say, UsageError, warn } from "./cli_io.ts";
import type { Command } from "./command_args.ts";
import { cancelCommand, getCommand, outputsCommand, waitCommand } from "./job_commands.ts";
import { jobsCommand } from "./list_command.ts";
import { loginCommand, logoutCommand } from "./login_command.ts";
import { submitCommand } from "./submit_command.ts";

const COMMANDS: readonly Command[] = [
  submitCommand,
  waitCommand,
  jobsCommand,
  getCommand,
  cancelCommand,
  outputsCommand,
  loginCommand,
  logoutCommand,
  adminCommand,
];

/** `kiln --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: npm run kiln -- <command> [options]     (kiln <command> --help for its options)

Kiln's command-line client: submit jobs, follow their progress, save their outputs.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Settings (environment):
  KILN_API_KEY        an API key with scopes jobs:read and jobs:write (required; POST /v1/keys creates one)
  KILN_API_URL        the api function (default http://127.0.0.1:54321/functions/v1/api, the local stack)
  SUPABASE_URL        the project, for sign-in and Realtime (default: derived from KILN_API_URL)
  SUPABASE_ANON_KEY   its anon key (default: the local stack's)
  KILN_ACCESS_TOKEN   a user's access token for Realtime, instead of \`kiln login\`
  KILN_CONFIG_DIR     where \`kiln login\` keeps its session (default ~/.config/kiln)
  SUPABASE_DB_URL     the project's database, for \`kiln admin\` only

Exit codes: 0 ok, 1 API or other error, 2 bad usage or missing setting, 3 job failed, 4 job canceled,
130 stopped waiting (Ctrl-C; the job goes on).

Example:
  npm run kiln -- submit --prompt "a kiln at dusk" --width 512 --height 512 --wait`;
}

/** Runs the client with `argv` (the arguments after the program name); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = COMMANDS.find((c) => c.name === args[0]);
    say(io, topic ? topic.help : mainHelp());
    return EXIT.ok;
  }
  if (name === undefined) {
    warn(io, mainHelp());
    return EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      const hint = name.startsWith("-") ? "a command comes first" : `unknown command ${JSON.stringify(name)}`;
      throw new UsageError(`${hint}; see kiln --help`);
    }
    return await command.run(args, io);
  } catch (error) {
    return reportError(io, error, command);
  }
}

/** Prints what went wrong and returns the exit code for it. */
function reportError(io: CliIo, error: unknown, command: Command | undefined): number {
  if (error instanceof UsageError) {
    const inCommand = command && !(error instanceof ConfigError);
    warn(
      io,
      inCommand ? `kiln ${command.name}: ${error.message} (see kiln ${command.name} --help)` : `kiln: ${error.message}`,
    );
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    for (const line of describeApiError(error)) warn(io, line);
    return EXIT.error;
  }
  if (error instanceof CliError) {
    warn(io, `error: ${error.message}`);
    return EXIT.error;
  }
  warn(io, `error: ${io.env.KILN_DEBUG ? ((error as Error)?.stack ?? String(error)) : String(error)}`);
  return EXIT.error;
}
