/**
 * Bucket and object names: Storage's character rules (supabase/storage `isValidKey`, `isValidBucketName`), plus
 * what a key must not do here because objects are files: no `.`/`..` segments, no absolute or empty segments.
 * Whatever passes maps to a path under `<dataDir>/storage`, and that is checked once more after resolving.
 */
import { resolve, sep } from "node:path";
import { invalidKey, StorageError } from "./errors.ts";

/** S3-safe characters Storage accepts in keys (`\w` is ASCII letters, digits and `_`). */
const KEY_CHARS = /^[\w/!\-.*'() &$@=;:+,?]+$/;
const BUCKET_CHARS = /^[\w!\-.*'() &$@=;:+,?]+$/;
const MAX_KEY_LENGTH = 1024;

export interface ObjectRef {
  bucket: string;
  /** The object's name inside its bucket (`storage.objects.name`). */
  name: string;
}

/** The folder that holds every bucket's files. */
function storageRoot(dataDir: string): string {
  return resolve(dataDir, "storage");
}

/** The folder of one (checked) bucket's files. */
export function bucketFolder(dataDir: string, bucket: string): string {
  return resolve(storageRoot(dataDir), checkBucketName(bucket));
}

/** Checks a bucket id taken from a URL; a bad one reads as a missing bucket would. */
export function checkBucketName(bucket: string): string {
  if (!BUCKET_CHARS.test(bucket) || bucket === "." || bucket === "..") {
    throw new StorageError(400, "InvalidBucketName", "Bucket name invalid", "Invalid Input");
  }
  return bucket;
}

/** Checks an object name (already percent-decoded): Storage's rules, and nothing that could leave the bucket. */
export function checkObjectName(name: string): string {
  const segments = name.split("/");
  const unsafe = segments.some((s) => s === "" || s === "." || s === "..");
  if (name.length > MAX_KEY_LENGTH || !KEY_CHARS.test(name) || unsafe) throw invalidKey(name);
  return name;
}

/** The checked reference for route params `bucket` and `name`. */
export function objectRef(bucket: string, name: string): ObjectRef {
  return { bucket: checkBucketName(bucket), name: checkObjectName(name) };
}

/** The file behind an object; throws rather than return a path outside the bucket's folder. */
export function objectFile(dataDir: string, ref: ObjectRef): string {
  const bucketDir = bucketFolder(dataDir, ref.bucket);
  const file = resolve(bucketDir, ...ref.name.split("/"));
  if (!file.startsWith(bucketDir + sep)) throw invalidKey(ref.name);
  return file;
}
