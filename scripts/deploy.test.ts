/**
 * `npm run deploy` as a user meets it: without the Supabase CLI, or without a linked project, it refuses and says
 * what to do; with a CLI (a stand-in that records its calls, since this machine reaches no Supabase project) it
 * pushes the migrations, deploys all three functions from fresh bundles, sets the secrets through an env file (no
 * value on a command line), and prints the steps left by hand.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));

describe("npm run deploy", { timeout: 120_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "kiln-deploy-test-"));
    // The stand-in CLI: one line per call; what `secrets set --env-file` was given, copied.
    writeFileSync(
      join(dir, "supabase"),
      `#!/bin/sh
echo "$*" >> "${dir}/calls"
if [ "$1 $2" = "secrets set" ]; then cp "$4" "${dir}/secrets.env"; fi
exit 0
`,
    );
    chmodSync(join(dir, "supabase"), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the deploy script with PATH = `path` (node's folder is always on it) and `env`. */
  const deploy = (args: string[], path: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/deploy.ts", ...args], {
      cwd: root,
      encoding: "utf8",
      env: { HOME: process.env.HOME ?? "", PATH: [...path, dirname(process.execPath)].join(":"), ...env },
      timeout: 90_000,
    });

  it("refuses without the Supabase CLI, saying how to get it", () => {
    const result = deploy(["--project-ref", "abcdefghijklmnopqrst"], []);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /The Supabase CLI is not installed/);
  });

  it("refuses without a linked project, saying how to link one", { skip: linkedHere() }, () => {
    const result = deploy([], [dir]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /No Supabase project is linked\. Run `npx supabase link --project-ref <ref>`/);
  });

  it("pushes, deploys all three functions, sets the secrets from a file, and prints what is left", () => {
    const result = deploy(["--project-ref", "abcdefghijklmnopqrst", "--use-api"], [dir], {
      KILN_CORS_ORIGINS: "https://app.example.test",
      KILN_JWT_SECRET: "legacy-secret-legacy-secret-legacy-secret",
      SUPABASE_URL: "https://not-a-secret-to-set.example.test",
    });
    assert.equal(result.status, 0, result.stderr);
    const calls = readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
    const ref = "--project-ref abcdefghijklmnopqrst";
    assert.deepEqual(calls.slice(0, 4), [
      `db push ${ref}`,
      `functions deploy api ${ref} --use-api`,
      `functions deploy dispatch ${ref} --use-api`,
      `functions deploy workers ${ref} --use-api`,
    ]);
    assert.match(calls[5], /^secrets set --env-file \S+ --project-ref abcdefghijklmnopqrst$/);
    const secrets = readFileSync(join(dir, "secrets.env"), "utf8");
    assert.match(secrets, /^KILN_CORS_ORIGINS="https:\/\/app\.example\.test"$/m);
    assert.match(secrets, /^KILN_JWT_SECRET="legacy-secret-legacy-secret-legacy-secret"$/m);
    const dispatchSecret = /^KILN_DISPATCH_SECRET="([0-9a-f]{64})"$/m.exec(secrets)?.[1];
    assert.ok(dispatchSecret, "a dispatch secret is made");
    assert.doesNotMatch(secrets, /SUPABASE_URL/);
    assert.ok(!existsSync(calls[5].split(" ")[3]), "the env file is removed");
    for (const name of ["api", "workers", "dispatch"])
      assert.ok(existsSync(join(root, `supabase/functions/${name}/dist/index.js`)), `${name} is built`);
    assert.ok(!result.stdout.includes("legacy-secret"), "a secret given is never printed");
    assert.ok(result.stdout.includes(`select vault.create_secret('${dispatchSecret}', 'kiln_dispatch_secret');`));
    assert.match(result.stdout, /select kiln\.schedule_dispatch\(\);/);
    assert.match(result.stdout, /enable pg_cron and pg_net/);
  });
});

/** Why the not-linked case cannot run here: this checkout is linked to a project. */
function linkedHere(): string | false {
  return existsSync(join(root, "supabase/.temp/project-ref"))
    ? "this checkout is linked (supabase/.temp/project-ref)"
    : false;
}
