/**
 * `npm run deploy`: Kiln onto the linked Supabase project in one step, with the Supabase CLI.
 * 1. applies the migrations (`supabase db push`);
 * 2. builds the three bundles and deploys each (`supabase functions deploy <name>`; config.toml names the bundle);
 * 3. sets the secrets: KILN_DISPATCH_SECRET (made here the first time, kept after), and every function setting
 *    this shell has (the README's configuration table: KILN_JWT_SECRET, KILN_CORS_ORIGINS, UPSTASH_…), through an
 *    env file, so no value shows on a command line;
 * 4. prints what is left to do by hand (pg_cron, pg_net, the Vault secrets, kiln.schedule_dispatch()).
 * Options: `--project-ref <ref>` instead of a `supabase link`; `--skip-db`; the rest goes to `functions deploy`
 * (e.g. `--use-api` to bundle without Docker). It refuses, saying why, without the CLI or a linked project.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFunction, functionNames } from "./build_functions.ts";
import { functionSettings } from "./local/functions.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

/** A refusal: printed as it is, exit code 2. */
class Refusal extends Error {}

/** The Supabase CLI: on PATH, or installed in this project (`npm i -D supabase`). */
function findCli(): string {
  const local = join(root, "node_modules/.bin/supabase");
  const onPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "supabase"));
  const found = [...onPath, local].find((path) => existsSync(path));
  if (!found)
    throw new Refusal(
      "The Supabase CLI is not installed. Install it (https://supabase.com/docs/guides/cli: `brew install supabase/tap/supabase`, " +
        "or `npm i -D supabase` in this folder), then run `npx supabase login` and `npx supabase link --project-ref <ref>`.",
    );
  return found;
}

/** The project to deploy to: `--project-ref`, or the one `supabase link` recorded. */
function projectRef(args: string[]): { ref: string; flags: string[] } {
  const i = args.indexOf("--project-ref");
  if (i >= 0 && args[i + 1]) return { ref: args[i + 1], flags: ["--project-ref", args[i + 1]] };
  const linked = join(root, "supabase/.temp/project-ref");
  if (!existsSync(linked))
    throw new Refusal(
      "No Supabase project is linked. Run `npx supabase link --project-ref <ref>` (the ref is in your project's URL), " +
        "or pass `--project-ref <ref>`.",
    );
  return { ref: readFileSync(linked, "utf8").trim(), flags: [] };
}

/** Runs the CLI (its questions reach the terminal); returns its output, shown unless `quiet`. */
function run(cli: string, args: string[], quiet = false): string {
  const result = spawnSync(cli, args, { cwd: root, encoding: "utf8", stdio: ["inherit", "pipe", "inherit"] });
  const out = String(result.stdout ?? "");
  if (!quiet) process.stdout.write(out);
  if (result.status !== 0)
    throw new Refusal(`\`supabase ${args.join(" ")}\` failed (exit ${result.status}); see above.`);
  return out;
}

async function deploy(args: string[]): Promise<void> {
  const cli = findCli();
  const { ref, flags } = projectRef(args);
  const deployFlags = args.filter(
    (a, i) => a !== "--skip-db" && a !== "--project-ref" && args[i - 1] !== "--project-ref",
  );
  console.log(`Deploying Kiln to Supabase project ${ref}.`);

  if (!args.includes("--skip-db")) run(cli, ["db", "push", ...flags]);

  for (const name of await functionNames()) {
    const { bytes } = await buildFunction(name);
    console.log(`built ${name} (${(bytes / 1024).toFixed(0)} KiB)`);
    run(cli, ["functions", "deploy", name, ...flags, ...deployFlags]);
  }

  const existing = run(cli, ["secrets", "list", ...flags], true);
  const secrets: Record<string, string> = { ...functionSettings(process.env) };
  for (const name of ["KILN_JWT_SECRET", "KILN_DISPATCH_SECRET"]) {
    if (process.env[name]) secrets[name] = process.env[name] as string;
  }
  const madeDispatchSecret = !secrets.KILN_DISPATCH_SECRET && !/\bKILN_DISPATCH_SECRET\b/.test(existing);
  if (madeDispatchSecret) secrets.KILN_DISPATCH_SECRET = randomBytes(32).toString("hex");
  if (Object.keys(secrets).length > 0) {
    const dir = mkdtempSync(join(tmpdir(), "kiln-deploy-"));
    const envFile = join(dir, "secrets.env");
    try {
      writeFileSync(
        envFile,
        Object.entries(secrets)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
          .join(""),
        {
          mode: 0o600,
        },
      );
      run(cli, ["secrets", "set", "--env-file", envFile, ...flags]);
      console.log(`secrets set: ${Object.keys(secrets).sort().join(", ")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(nextSteps(ref, madeDispatchSecret ? secrets.KILN_DISPATCH_SECRET : undefined));
}

/** What only the project's owner can do, in the dashboard's SQL editor. */
function nextSteps(ref: string, newDispatchSecret: string | undefined): string {
  const secret = newDispatchSecret ?? "<your KILN_DISPATCH_SECRET>";
  return `
Deployed: api, workers and dispatch at https://${ref}.supabase.co/functions/v1/<name>.

Left to do by hand, once:
1. Database → Extensions: enable pg_cron and pg_net (webhooks and sweeps run on a schedule).
2. In the SQL editor, give the schedule its URL and secret, then schedule it:
     select vault.create_secret('https://${ref}.supabase.co/functions/v1/dispatch/run', 'kiln_dispatch_url');
     select vault.create_secret('${secret}', 'kiln_dispatch_secret');
     select kiln.schedule_dispatch();
${newDispatchSecret ? "   (That KILN_DISPATCH_SECRET was made now and is shown this once; it is also set as a function secret.)\n" : ""}3. Legacy projects that sign tokens with the JWT secret (HS256): \`npx supabase secrets set KILN_JWT_SECRET=<JWT secret>\`.
   Projects with signing keys need nothing: the api reads the JWKS.
4. Settings (see the README's configuration table): \`npx supabase secrets set KILN_CORS_ORIGINS=https://app.example.com\`.
5. Workers: create a worker token (POST /v1/admin/workers as an admin) and start \`npm run worker\` on each GPU machine.`;
}

try {
  await deploy(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof Refusal)) throw error;
  console.error(`deploy: ${error.message}`);
  process.exit(2);
}
