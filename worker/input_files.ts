/**
 * The input images the worker put in ComfyUI's `input/kiln/` folder, so they do not pile up. Names are the
 * content's hash, so the same image sent again is the same file, not a new one. Where the worker shares ComfyUI's
 * filesystem (KILN_COMFYUI_INPUT_DIR names its input folder), a file is removed once no running job of this worker
 * uses it; ComfyUI has no API to delete an upload, so without that setting the files stay (content-addressed, each
 * image once).
 */

/** Removes a file by its path under the input folder (`kiln/<name>`); a missing file is not an error. */
export type RemoveInput = (relativePath: string) => Promise<void>;

export class InputFiles {
  private readonly uses = new Map<string, number>();
  private readonly remove: RemoveInput | undefined;

  constructor(remove?: RemoveInput) {
    this.remove = remove;
  }

  /** A job is about to use `path` (what LoadImage names: `kiln/<hash>.<ext>`). */
  acquire(path: string): void {
    this.uses.set(path, (this.uses.get(path) ?? 0) + 1);
  }

  /** The job is done with `paths`; each one nothing else uses is removed (where removal is configured). */
  async release(paths: Iterable<string>): Promise<void> {
    for (const path of paths) {
      const left = (this.uses.get(path) ?? 1) - 1;
      if (left > 0) {
        this.uses.set(path, left);
        continue;
      }
      this.uses.delete(path);
      await this.remove?.(path).catch(() => {});
    }
  }
}

/** The content-addressed name of an image: the first 128 bits of its SHA-256, hex, and its extension. */
export async function contentName(bytes: Uint8Array<ArrayBuffer>, extension: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex}.${extension}`;
}

/** Removes files under ComfyUI's input folder `dir` (node:fs, which Deno provides too), never outside it. */
export function removeUnder(dir: string): RemoveInput {
  return async (relativePath) => {
    const { rm } = await import("node:fs/promises");
    const { join, normalize, sep } = await import("node:path");
    const root = normalize(dir + sep);
    const path = normalize(join(root, relativePath));
    if (!path.startsWith(root)) return;
    await rm(path, { force: true });
  };
}
