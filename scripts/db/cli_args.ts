/** The flags the local commands share: `--db <url>`, `--data <folder>` (default .kiln), `--reset`. */
import { parseArgs } from "node:util";

export interface LocalArgs {
  url?: string;
  dataDir: string;
  reset: boolean;
}

export function parseLocalArgs(argv: string[] = process.argv.slice(2)): LocalArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      data: { type: "string", default: ".kiln" },
      reset: { type: "boolean", default: false },
    },
    strict: true,
  });
  return { url: values.db, dataDir: `${values.data}/db`, reset: values.reset ?? false };
}
