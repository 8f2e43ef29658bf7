/**
 * One Kiln per data folder: `npm start` takes `<data>/kiln.pid` before it touches the folder (a --reset included),
 * so a second start on the same folder refuses, naming the folder and the process that has it, instead of opening
 * the same PGlite files twice. A lock whose process is gone (a crash, kill -9) is stale and taken over.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

/** The lock's file name in the data folder. */
export const DATA_DIR_LOCK = "kiln.pid";

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

/** Whether a process with this id runs here (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function holderOf(path: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, "utf8")) as Holder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined; // Unreadable or half-written: nobody can be shown to hold it.
  }
}

/** Takes the folder's lock, or throws DataDirLockedError; returns the release. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, DATA_DIR_LOCK);
  const me: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: "wx" });
      return async () => {
        if ((await holderOf(path))?.pid === process.pid) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await holderOf(path);
    if (holder && holder.pid !== process.pid && running(holder.pid)) {
      throw new DataDirLockedError(
        `${dir}/ is in use by another Kiln (process ${holder.pid} on ${holder.host}, started ${holder.started_at}). ` +
          "Stop it first, or start with --data <another folder>.",
      );
    }
    // Stale: the process that wrote it is gone. Remove it and try again (another start may win the race: fine).
    await rm(path, { force: true });
  }
  throw new DataDirLockedError(`${dir}/ is being taken by another Kiln starting at the same moment; try again.`);
}
