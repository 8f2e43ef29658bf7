/**
 * What is wrong with the outputs a completion lists, if anything: every output must be a file the uploads call
 * placed for that job (`<owner>/<job>/<name>` in the `outputs` bucket) and must be there. One Storage query checks
 * the files of every report in a call.
 */
import type postgres from "postgres";
import { OUTPUTS_BUCKET } from "../../_shared/storage/buckets.ts";
import { isOutputPath } from "./held_job.ts";

/** A field of a report and what is wrong with it, as a 422's details name it. */
export interface OutputIssue {
  path: (string | number)[];
  message: string;
}

/** For each report (the job's output folder and the paths it lists), its issues; [] where all is well. */
export async function outputIssues(
  sql: postgres.Sql,
  reports: readonly { folder: string; paths: readonly string[] }[],
): Promise<OutputIssue[][]> {
  const all = reports.flatMap((r) => r.paths.filter((path) => isOutputPath(path, r.folder)));
  const stored =
    all.length === 0
      ? []
      : await sql<{ name: string }[]>`
          select o.name from storage.objects o where o.bucket_id = ${OUTPUTS_BUCKET} and o.name = any(${all}::text[])`;
  const found = new Set(stored.map((o) => o.name));
  return reports.map(({ folder, paths }) =>
    paths.flatMap((path, i) => {
      const at = ["outputs", i, "path"];
      if (!isOutputPath(path, folder)) return [{ path: at, message: `must be ${folder}<name>` }];
      return found.has(path) ? [] : [{ path: at, message: "no file was uploaded there" }];
    }),
  );
}
