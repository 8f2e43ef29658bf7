/**
 * Supabase Storage as the API uses it, with the service-role key: signed download URLs for outputs, signed
 * upload URLs for inputs, and removal. Speaks Storage's REST API (as storage-js does) with fetch, so it runs on
 * Deno and Node alike, against Supabase or the local stack.
 */
import { fail } from "../http/errors.ts";

export interface ObjectStorage {
  /** A signed GET URL for each path (null where the object does not exist), valid `expiresIn` seconds. */
  signDownloads(bucket: string, paths: string[], expiresIn: number): Promise<Map<string, string | null>>;
  /**
   * A URL (and its token) that lets its holder upload one object to `path`, valid two hours; with `upsert` it
   * may replace an object already there (a retried job's outputs).
   */
  signUpload(bucket: string, path: string, options?: { upsert?: boolean }): Promise<{ url: string; token: string }>;
  /** Removes the objects; paths that do not exist are ignored. */
  remove(bucket: string, paths: string[]): Promise<void>;
}

/** Storage's signed upload URLs last two hours; it is not configurable. */
export const UPLOAD_URL_LIFETIME_SECONDS = 2 * 60 * 60;

/** Storage at `${supabaseUrl}/storage/v1`, called as the service role. */
export function supabaseStorage(config: { SUPABASE_URL: string; SUPABASE_SERVICE_ROLE_KEY?: string }): ObjectStorage {
  const base = `${config.SUPABASE_URL.replace(/\/$/, "")}/storage/v1`;
  const request = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const key = config.SUPABASE_SERVICE_ROLE_KEY;
    if (!key) fail("internal", "Storage is not configured: SUPABASE_SERVICE_ROLE_KEY is missing.");
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, apikey: key, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`storage ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as unknown;
  };
  const encode = (path: string) => path.split("/").map(encodeURIComponent).join("/");

  return {
    async signDownloads(bucket, paths, expiresIn) {
      if (paths.length === 0) return new Map();
      const signed = (await request("POST", `/object/sign/${bucket}`, { expiresIn, paths })) as {
        path: string;
        signedURL: string | null;
      }[];
      return new Map(signed.map((s) => [s.path, s.signedURL ? `${base}${s.signedURL}` : null]));
    },
    async signUpload(bucket, path, options = {}) {
      const upsert = options.upsert ? { "x-upsert": "true" } : undefined;
      const signed = (await request("POST", `/object/upload/sign/${bucket}/${encode(path)}`, undefined, upsert)) as {
        url: string;
        token: string;
      };
      return { url: `${base}${signed.url}`, token: signed.token };
    },
    async remove(bucket, paths) {
      if (paths.length > 0) await request("DELETE", `/object/${bucket}`, { prefixes: paths });
    },
  };
}
