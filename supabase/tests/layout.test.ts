/**
 * The layout holds the architecture: Edge Functions are siblings over supabase/functions/_shared/ and never import
 * one another; _shared/ belongs to no function; top-level shared/ (what functions, the worker and the CLI all use)
 * imports no function; the worker imports no function; product code never imports scripts/. Tests and their
 * helpers (`*.test.ts`, `testing/`, `tests/`) may reach anywhere.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|mjs|js)$/.test(name) ? [path] : [];
  });
}

const isTest = (path: string) => /\.test\.|\/testing\/|\/tests\//.test(path);

/** Every relative import of the product code: [importing file, imported file], both relative to the root. */
function productImports(): [string, string][] {
  const edges: [string, string][] = [];
  for (const top of ["supabase/functions", "worker", "shared"]) {
    for (const file of sources(join(root, top)).filter((f) => !isTest(f))) {
      for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        edges.push([relative(root, file), relative(root, resolve(dirname(file), m[1]))]);
      }
    }
  }
  return edges;
}

/** The function a path belongs to (`_shared` included), or null outside supabase/functions. */
const functionOf = (path: string) => (path.startsWith("supabase/functions/") ? path.split("/")[2] : null);

/** Why an import breaks the layout, or null. */
function layoutViolation(from: string, to: string): string | null {
  if (to.startsWith("scripts/")) return "product code imports scripts/";
  const [source, target] = [functionOf(from), functionOf(to)];
  if (source === "_shared" && target && target !== "_shared") return "_shared/ imports a function";
  if (target && target !== "_shared" && source !== target) return `imports the ${target} function`;
  if ((from.startsWith("shared/") || from.startsWith("worker/")) && target) return "imports Edge Function code";
  return null;
}

describe("the layout", () => {
  it("finds the imports it checks", () => {
    const edges = productImports();
    assert.ok(edges.length > 300, `${edges.length} imports`);
    assert.ok(edges.some(([from, to]) => from.startsWith("supabase/functions/api/") && to.includes("/_shared/")));
  });

  it("has no function importing another, nothing importing scripts/, and shared/ and worker/ free of functions", () => {
    const violations = productImports()
      .map(([from, to]) => ({ from, to, why: layoutViolation(from, to) }))
      .filter((v) => v.why)
      .map((v) => `${v.from} → ${v.to}: ${v.why}`);
    assert.deepEqual(violations, []);
  });

  it("calls each kind of crossing a violation", () => {
    assert.match(
      String(layoutViolation("supabase/functions/api/a.ts", "supabase/functions/dispatch/b.ts")),
      /dispatch/,
    );
    assert.match(String(layoutViolation("supabase/functions/_shared/a.ts", "supabase/functions/api/b.ts")), /_shared/);
    assert.match(String(layoutViolation("worker/a.ts", "supabase/functions/_shared/b.ts")), /Edge Function/);
    assert.match(String(layoutViolation("shared/a.ts", "scripts/b.ts")), /scripts/);
    assert.equal(layoutViolation("supabase/functions/api/a.ts", "supabase/functions/_shared/b.ts"), null);
    assert.equal(layoutViolation("supabase/functions/api/a.ts", "shared/b.ts"), null);
  });
});
