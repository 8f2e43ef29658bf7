/**
 * ComfyUI's input, output and temp folders, kept in memory: uploads land in `input`, SaveImage writes to
 * `output`, PreviewImage to `temp`, and /view reads any of them. Names follow ComfyUI's rules (folder_paths.py,
 * server.py): a path may not leave its folder, an upload without `overwrite` gets a " (1)" suffix unless its
 * bytes are the same, and SaveImage numbers files after the highest counter already in the subfolder.
 */
import { createHash } from "node:crypto";
import { imageSize } from "./png.ts";

export type FolderType = "input" | "output" | "temp";
export const FOLDER_TYPES: readonly FolderType[] = ["input", "output", "temp"];

export interface StoredFile {
  bytes: Uint8Array;
  /** sha256 of the bytes: LoadImage's IS_CHANGED, so a re-upload under the same name is not served from cache. */
  hash: string;
  size?: { width: number; height: number };
}

export interface FileRef {
  type: FolderType;
  subfolder: string;
  filename: string;
}

/** Whether a relative path stays inside its folder (no absolute path, no `..` segment). */
export function isSafePath(path: string): boolean {
  return !path.startsWith("/") && !path.includes("\\") && !path.split("/").includes("..");
}

const keyOf = (r: FileRef) => `${r.type}:${r.subfolder ? `${r.subfolder}/` : ""}${r.filename}`;

export class FileStore {
  private readonly files = new Map<string, StoredFile>();

  get(ref: FileRef): StoredFile | undefined {
    return this.files.get(keyOf(ref));
  }

  put(ref: FileRef, bytes: Uint8Array): void {
    const hash = createHash("sha256").update(bytes).digest("hex");
    this.files.set(keyOf(ref), { bytes, hash, size: imageSize(bytes) });
  }

  /** File names directly in `type`'s folder, sorted: what LoadImage offers. */
  names(type: FolderType): string[] {
    const prefix = `${type}:`;
    return [...this.files.keys()]
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes("/"))
      .map((k) => k.slice(prefix.length))
      .sort();
  }

  /** POST /upload/image: stores `bytes` and answers the name it was stored under. */
  upload(ref: FileRef, bytes: Uint8Array, overwrite: boolean): FileRef {
    let name = ref.filename;
    if (!overwrite) {
      const dot = ref.filename.lastIndexOf(".");
      const [stem, ext] = dot > 0 ? [ref.filename.slice(0, dot), ref.filename.slice(dot)] : [ref.filename, ""];
      const hash = createHash("sha256").update(bytes).digest("hex");
      for (let i = 1; ; i++) {
        const existing = this.get({ ...ref, filename: name });
        if (!existing || existing.hash === hash) break;
        name = `${stem} (${i})${ext}`;
      }
    }
    const stored = { ...ref, filename: name };
    this.put(stored, bytes);
    return stored;
  }

  /** LoadImage's annotated name, "sub/x.png" or "x.png [output]", as a file reference. */
  static parseAnnotated(name: string): FileRef {
    const match = /^(.*) \[(input|output|temp)\]$/.exec(name);
    const path = match ? match[1] : name;
    const slash = path.lastIndexOf("/");
    return {
      type: (match?.[2] as FolderType | undefined) ?? "input",
      subfolder: slash < 0 ? "" : path.slice(0, slash),
      filename: path.slice(slash + 1),
    };
  }

  /** The counter SaveImage starts at for `<base>_NNNNN_.png` in a subfolder: one past the highest there. */
  nextCounter(type: FolderType, subfolder: string, base: string): number {
    const prefix = `${type}:${subfolder ? `${subfolder}/` : ""}${base}_`;
    let highest = 0;
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const digits = /^(\d+)_/.exec(key.slice(prefix.length));
      if (digits) highest = Math.max(highest, Number(digits[1]));
    }
    return highest + 1;
  }
}
