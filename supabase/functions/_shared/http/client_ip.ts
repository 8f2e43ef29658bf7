/**
 * The client's IP address, from the one header a trusted proxy sets, never from what a client can write.
 *
 * On hosted Supabase every request reaches a function through Cloudflare (Supabase's API domain answers with
 * Cloudflare's `cf-ray`), which sets `cf-connecting-ip` to the address it accepted the connection from and
 * replaces any value the client sent; `x-forwarded-for` it only appends to, so its first entry is whatever the
 * client wrote (1,300 requests with a rotating first entry got no 429). So the default is `cf-connecting-ip`.
 * Elsewhere, `KILN_CLIENT_IP_HEADER` names the header your proxy sets; `x-forwarded-for` then takes the entry
 * `KILN_TRUSTED_PROXY_HOPS` from the right (1: the address your one proxy appended). `GET /v1/me` shows the
 * address Kiln sees, to check a deployment. Anything that is not an IP address is ignored, so the result can go
 * straight into an `inet`.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export interface ClientIpSource {
  /** Lowercase header name: `cf-connecting-ip` (hosted), `x-real-ip`, `x-forwarded-for`… */
  KILN_CLIENT_IP_HEADER: string;
  /** For `x-forwarded-for`: how many proxies you trust append to it; the entry that many from the right. */
  KILN_TRUSTED_PROXY_HOPS: number;
}

/** The client's address by `source`, or null when the trusted header is missing or holds no valid address. */
export function clientIp(headers: Headers, source: ClientIpSource): string | null {
  const value = headers.get(source.KILN_CLIENT_IP_HEADER);
  if (value === null) return null;
  const entries = value.split(",").map((entry) => entry.trim());
  const candidate =
    source.KILN_CLIENT_IP_HEADER === "x-forwarded-for"
      ? entries[entries.length - source.KILN_TRUSTED_PROXY_HOPS]
      : entries.length === 1
        ? entries[0]
        : undefined;
  if (candidate === undefined) return null;
  if (IPV4.test(candidate)) return candidate;
  return candidate.includes(":") && isIpv6(candidate) ? candidate : null;
}

function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    // The URL parser implements the IPv6 grammar; it throws on anything else.
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}
