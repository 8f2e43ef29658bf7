/**
 * Downloads a job's input images under Kiln's URL policy (shared/net/url_policy.ts). A URL the user gave is
 * checked before every connection, each redirect hop included, with a fresh DNS answer; the connection then goes
 * to the address that was checked where the runtime allows it (`HttpGet`: pinned under Node, by name under Deno,
 * whose fetch has no resolver hook). URLs the API signed (`upload:<id>`) come from Kiln itself and are fetched as
 * given. Every download is bounded: a total timeout, at most 5 redirects, and a size cap counted on the stream as
 * it arrives, whatever Content-Length says. What a job's owner reads is one neutral sentence per kind of failure;
 * what answered, and why a URL was refused, goes only to the worker's log.
 */
import { UPLOAD_REF } from "../shared/job_types/fields.ts";
import { checkUrlTarget, type HostResolver, type TargetPolicy } from "../shared/net/url_policy.ts";
import { JobFailure } from "./job_failures.ts";
import type { Logger } from "./log.ts";

/**
 * One GET without following redirects (a 3xx comes back as it is). `address` is the checked address to connect
 * to, where the implementation can pin it; undefined for URLs that need no check.
 */
export type HttpGet = (url: URL, address: string | undefined, signal: AbortSignal) => Promise<Response>;

/** The GET of runtimes whose fetch cannot be pinned (Deno): connects by name, right after the check. */
export const fetchGet: HttpGet = (url, _address, signal) =>
  fetch(url, { redirect: "manual", signal, headers: { accept: "image/*" } });

export interface InputFetchOptions {
  get: HttpGet;
  resolver: HostResolver;
  policy: TargetPolicy;
  log: Logger;
  /** Default 50 MB (ComfyUI's own upload limit is 100 MB). */
  maxBytes?: number;
  /** For the whole download, redirects included. Default 60 s. */
  timeoutMs?: number;
}

export interface DownloadedInput {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
}

const MAX_REDIRECTS = 5;

/** The owner's view of each failure: what kind, never what answered. */
const refused = (ref: string) =>
  new JobFailure("input_url_refused", `input image ${ref} is not at an address Kiln may fetch from`, false);
const unavailable = (ref: string) =>
  new JobFailure("input_unavailable", `input image ${ref} could not be downloaded`, false);
const failed = (ref: string) =>
  new JobFailure("input_download_failed", `input image ${ref} could not be downloaded; it will be retried`, true);

export class InputFetcher {
  private readonly options: InputFetchOptions;

  constructor(options: InputFetchOptions) {
    this.options = options;
  }

  /** The image at `url` (the input named `ref`), or a JobFailure. */
  async download(ref: string, url: string, signal: AbortSignal): Promise<DownloadedInput> {
    const { timeoutMs = 60_000, log } = this.options;
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const signed = UPLOAD_REF.test(ref);
    let current = new URL(url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      let address: string | undefined;
      if (!signed) {
        const check = await checkUrlTarget(current.href, this.options.resolver, this.options.policy);
        if (!check.ok) {
          log.warn("input URL refused", { ref, url: redact(current), reason: check.reason, hop });
          throw refused(ref);
        }
        address = check.addresses[0];
      }
      let response: Response;
      try {
        response = await this.options.get(current, address, bounded);
      } catch (error) {
        signal.throwIfAborted();
        log.warn("input download failed", { ref, url: redact(current), error: String(error) });
        throw failed(ref);
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        log.warn("input download answered an error", { ref, url: redact(current), status: response.status });
        throw response.status >= 500 || response.status === 429 ? failed(ref) : unavailable(ref);
      }
      return this.read(ref, response, signal);
    }
    log.warn("input download redirected too often", { ref, redirects: MAX_REDIRECTS });
    throw unavailable(ref);
  }

  /** The body, counted as it streams in; past the cap the download stops there. */
  private async read(ref: string, response: Response, signal: AbortSignal): Promise<DownloadedInput> {
    const maxBytes = this.options.maxBytes ?? 50 * 1024 * 1024;
    const tooLarge = () =>
      new JobFailure("input_too_large", `input image ${ref} is larger than ${maxBytes} bytes`, false);
    if (Number(response.headers.get("content-length") ?? 0) > maxBytes) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
        if (done || !value) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader?.cancel();
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof JobFailure) throw error;
      signal.throwIfAborted();
      this.options.log.warn("input download broke off", { ref, error: String(error) });
      throw failed(ref);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    const contentType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    return { bytes, contentType };
  }
}

/** A URL for the log: no credentials, no query (a signed URL's token). */
function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
