/**
 * Objects: one file under `<dataDir>/storage/<bucket>/<name>` and one storage.objects row each, with the metadata
 * Storage keeps (size, mimetype, eTag, cacheControl, lastModified). A write lands in a staging folder first and is
 * renamed into place only once its row is in, so a refused write (a duplicate) never touches the stored file.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type postgres from "postgres";
import { duplicate, invalidKey, objectNotFound } from "./errors.ts";
import { type ObjectRef, objectFile } from "./object_keys.ts";
import type { IncomingFile } from "./upload_body.ts";

export interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

/** A storage.objects row, as Storage returns it from remove() and list(). */
export interface StoredObject {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  metadata: ObjectMetadata;
  user_metadata: Record<string, unknown> | null;
  version: string | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

const columns =
  "id, bucket_id, name, owner, metadata, user_metadata, version, created_at, updated_at, last_accessed_at";

export class ObjectStore {
  readonly #sql: postgres.Sql;
  readonly #dataDir: string;

  constructor(sql: postgres.Sql, dataDir: string) {
    this.#sql = sql;
    this.#dataDir = dataDir;
  }

  /** The row of `ref`, or undefined. */
  async find(ref: ObjectRef): Promise<StoredObject | undefined> {
    const [row] = await this.#sql.unsafe<StoredObject[]>(
      `select ${columns} from storage.objects where bucket_id = $1 and name = $2`,
      [ref.bucket, ref.name],
    );
    return row;
  }

  /** Stores `file` as `ref`; KeyAlreadyExists (409) if it exists and `upsert` is false. */
  async put(ref: ObjectRef, file: IncomingFile, options: { upsert: boolean; owner?: string }): Promise<StoredObject> {
    const target = objectFile(this.#dataDir, ref);
    if (!options.upsert && (await this.find(ref))) throw duplicate();
    await this.#makeRoomFor(ref, target);
    const staging = resolve(this.#dataDir, "storage-staging", randomUUID());
    await mkdir(dirname(staging), { recursive: true });
    await writeFile(staging, file.bytes);
    try {
      const metadata: ObjectMetadata = {
        eTag: `"${createHash("md5").update(file.bytes).digest("hex")}"`,
        size: file.bytes.byteLength,
        mimetype: file.mimeType,
        cacheControl: file.cacheControl,
        lastModified: new Date().toISOString(),
        contentLength: file.bytes.byteLength,
        httpStatusCode: 200,
      };
      const onConflict = options.upsert
        ? "do update set metadata = excluded.metadata, user_metadata = excluded.user_metadata, owner = excluded.owner, version = excluded.version, updated_at = now(), last_accessed_at = now()"
        : "do nothing";
      const [row] = await this.#sql.unsafe<StoredObject[]>(
        `insert into storage.objects (bucket_id, name, owner, metadata, user_metadata, version)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (bucket_id, name) ${onConflict} returning ${columns}`,
        [
          ref.bucket,
          ref.name,
          options.owner ?? null,
          this.#sql.json(metadata as unknown as postgres.JSONValue),
          file.userMetadata === null ? null : this.#sql.json(file.userMetadata as postgres.JSONValue),
          randomUUID(),
        ],
      );
      if (!row) throw duplicate();
      await rename(staging, target);
      return row;
    } finally {
      await rm(staging, { force: true });
    }
  }

  /** The row and bytes of `ref`, or NoSuchKey (404). */
  async read(ref: ObjectRef): Promise<{ object: StoredObject; bytes: Uint8Array<ArrayBuffer> }> {
    const object = await this.find(ref);
    if (!object) throw objectNotFound();
    try {
      return { object, bytes: await readFile(objectFile(this.#dataDir, ref)) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw objectNotFound();
      throw error;
    }
  }

  /**
   * Deletes the named objects of `bucket` that exist; returns their rows. As the Storage service, which alone may
   * delete from its tables (storage.protect_delete refuses plain SQL).
   */
  async remove(bucket: string, names: string[]): Promise<StoredObject[]> {
    const rows = await this.#sql.begin(async (tx) => {
      await tx`select set_config('storage.allow_delete_query', 'true', true)`;
      return tx.unsafe<StoredObject[]>(
        `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${columns}`,
        [bucket, names],
      );
    });
    for (const row of rows) await rm(objectFile(this.#dataDir, { bucket, name: row.name }), { force: true });
    return rows;
  }

  /**
   * Copies `from` to `to` (another bucket allowed): the bytes, the file metadata and, with `copyMetadata`, the
   * uploader's metadata. NoSuchKey if `from` is missing; KeyAlreadyExists if `to` exists and `upsert` is false.
   */
  async copy(
    from: ObjectRef,
    to: ObjectRef,
    options: { upsert: boolean; copyMetadata: boolean },
  ): Promise<StoredObject> {
    const { object, bytes } = await this.read(from);
    return this.put(
      to,
      {
        bytes,
        mimeType: object.metadata.mimetype,
        cacheControl: object.metadata.cacheControl,
        userMetadata: options.copyMetadata ? object.user_metadata : null,
      },
      { upsert: options.upsert, owner: object.owner ?? undefined },
    );
  }

  /** Moves `from` to `to`, row and file, in one transaction; NoSuchKey / KeyAlreadyExists as for copy. */
  async move(from: ObjectRef, to: ObjectRef): Promise<StoredObject> {
    const source = objectFile(this.#dataDir, from);
    const target = objectFile(this.#dataDir, to);
    return this.#sql.begin(async (tx) => {
      if ((await tx`select 1 from storage.objects where bucket_id = ${to.bucket} and name = ${to.name}`).length > 0) {
        throw duplicate();
      }
      const [row] = await tx.unsafe<StoredObject[]>(
        `update storage.objects set bucket_id = $3, name = $4, updated_at = now()
          where bucket_id = $1 and name = $2 returning ${columns}`,
        [from.bucket, from.name, to.bucket, to.name],
      );
      if (!row) throw objectNotFound();
      await this.#makeRoomFor(to, target);
      // Last: should the rename fail, the transaction rolls the row back and the file stays where it was.
      await rename(source, target);
      return row;
    });
  }

  /** The rows of `bucket` whose names start with `prefix`, by name. */
  async withPrefix(bucket: string, prefix: string): Promise<StoredObject[]> {
    return this.#sql.unsafe<StoredObject[]>(
      `select ${columns} from storage.objects where bucket_id = $1 and left(name, length($2)) = $2 order by name collate "C"`,
      [bucket, prefix],
    );
  }

  /**
   * Creates the folders `target` needs. S3 keys can be both a file and a folder (`a` and `a/b`); files cannot,
   * so such a key is refused as invalid here.
   */
  async #makeRoomFor(ref: ObjectRef, target: string): Promise<void> {
    try {
      await mkdir(dirname(target), { recursive: true });
      if ((await stat(target).catch(() => undefined))?.isDirectory()) throw invalidKey(ref.name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") throw invalidKey(ref.name);
      throw error;
    }
  }
}
