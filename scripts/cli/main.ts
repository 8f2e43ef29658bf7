/**
 * `npm run kiln -- <command>`: the command-line client on the real process (run_cli.ts does the work).
 * The exit code is set rather than forced, so output drains; a connection left open cannot hold the process
 * longer than a second after the command ended.
 */
import { processIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";

process.exitCode = await runCli(process.argv.slice(2), processIo());
setTimeout(() => process.exit(), 1000).unref();
