/**
 * The client's IP address, as the platform's proxy reports it: Supabase's gateway puts the client first in
 * `x-forwarded-for`. Anything that is not an IP address is ignored, so it can go straight into an `inet`.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The first address in `x-forwarded-for` (else `x-real-ip`), or null when there is no valid one. */
export function clientIp(headers: Headers): string | null {
  const candidate = (headers.get("x-forwarded-for")?.split(",")[0] ?? headers.get("x-real-ip") ?? "").trim();
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
