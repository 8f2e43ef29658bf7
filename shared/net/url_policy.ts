/**
 * Kiln's one URL policy against server-side request forgery: whether Kiln may connect to a URL a user gave it. It
 * applies to webhook URLs (endpoints and per-job webhooks: at registration or create, and before every delivery)
 * and to input images given as URLs (at create, and in the worker before every connection and every redirect hop).
 * A URL is refused when it is not https (plain http only for hosts on an http allow-list), or when its host is, or
 * resolves to, an address that is not on the public internet: private, loopback, link-local, CGNAT, unique-local
 * IPv6, multicast, reserved, or a cloud metadata service. Hosts on a private allow-list (an internal bucket, a
 * local receiver, tests) may resolve anywhere; the operator names them.
 *
 * Each check asks DNS afresh. What remains is the moment between the check and the connection: a DNS server that
 * answers differently then (rebinding) is caught only where the connection is pinned to the checked address. The
 * worker under Node pins it (worker/input_fetch.node.ts); `fetch` has no such hook, so the webhook dispatcher and
 * the worker under Deno check, then connect by name.
 */

/** Answers a host name with its addresses (all of them, IPv4 and IPv6). */
export interface HostResolver {
  resolve(host: string): Promise<string[]>;
}

/** Which hosts are let through the checks that would refuse them. Names are compared lowercased. */
export interface TargetPolicy {
  /** Hosts that may be called over plain http. */
  httpAllow: readonly string[];
  /** Hosts that may resolve to non-public addresses. */
  privateAllow: readonly string[];
}

export type TargetCheck = { ok: true; addresses: string[] } | { ok: false; reason: string };

/** A comma-separated list of hosts (an allow-list variable), trimmed and lowercased. */
export function parseHostList(csv: string | undefined): string[] {
  return (csv ?? "")
    .split(",")
    .map((h) => bareHost(h.trim().toLowerCase()))
    .filter(Boolean);
}

/**
 * The policy a function's configuration asks for: KILN_WEBHOOK_HTTP_ALLOW (a parsed list), and
 * KILN_WEBHOOK_PRIVATE_ALLOW (comma-separated), which defaults to the http list: a host trusted for plain http is
 * a local receiver, on a private address. The API checks at registration and the dispatcher at each delivery
 * under the same policy.
 */
export function targetPolicyOf(config: {
  KILN_WEBHOOK_HTTP_ALLOW: readonly string[];
  KILN_WEBHOOK_PRIVATE_ALLOW?: string;
}): TargetPolicy {
  const httpAllow = config.KILN_WEBHOOK_HTTP_ALLOW.map((h) => h.toLowerCase());
  const privateAllow =
    config.KILN_WEBHOOK_PRIVATE_ALLOW === undefined ? httpAllow : parseHostList(config.KILN_WEBHOOK_PRIVATE_ALLOW);
  return { httpAllow, privateAllow };
}

/**
 * The policy for input image URLs: https only, to public addresses, except hosts on KILN_INPUT_PRIVATE_ALLOW
 * (comma-separated), which may be anywhere. The API checks at create and the worker before each connection.
 */
export function inputPolicyOf(privateAllow: string | undefined): TargetPolicy {
  return { httpAllow: [], privateAllow: parseHostList(privateAllow) };
}

/** Checks `url` under `policy`, resolving its host with `resolver` unless it is an address already. */
export async function checkUrlTarget(url: string, resolver: HostResolver, policy: TargetPolicy): Promise<TargetCheck> {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) return { ok: false, reason: "not a valid URL" };
  const host = bareHost(parsed.hostname);
  if (parsed.protocol === "http:") {
    if (!policy.httpAllow.map(bareHost).includes(host)) {
      return { ok: false, reason: `plain http is allowed only for hosts on the allow-list, not ${host}` };
    }
  } else if (parsed.protocol !== "https:") {
    return { ok: false, reason: `${parsed.protocol} URLs are not allowed; use https` };
  }
  // A host the operator trusts (a local receiver) may be anywhere: nothing to check, and nothing to resolve.
  if (policy.privateAllow.map(bareHost).includes(host)) return { ok: true, addresses: [] };
  let addresses: string[];
  if (parseIp(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await resolver.resolve(host);
    } catch (error) {
      return { ok: false, reason: `${host} does not resolve (${(error as { code?: string }).code ?? String(error)})` };
    }
    if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` };
  }
  for (const address of addresses) {
    const why = blockedAddressReason(address);
    if (why) {
      const via = address === host ? "" : ` (${host} resolves to ${address})`;
      return { ok: false, reason: `${address} is a ${why} address${via}; only public addresses are allowed` };
    }
  }
  return { ok: true, addresses };
}

/** Why `address` is not a public internet address (e.g. "loopback"), or undefined if it is one. */
export function blockedAddressReason(address: string): string | undefined {
  const ip = parseIp(address);
  if (!ip) return "unparseable";
  return ip.version === 4 ? ipv4Reason(ip.value) : ipv6Reason(ip.value);
}

interface Range {
  base: bigint;
  bits: number;
  why: string;
}

const v4 = (cidr: string, why: string): Range => {
  const [base, bits] = cidr.split("/");
  return { base: parseIpv4(base) as bigint, bits: Number(bits), why };
};
const v6 = (cidr: string, why: string): Range => {
  const [base, bits] = cidr.split("/");
  return { base: parseIpv6(base) as bigint, bits: Number(bits), why };
};

// Most specific first: the metadata address is also link-local, and the first match names the reason.
const IPV4_BLOCKED: Range[] = [
  v4("169.254.169.254/32", "cloud metadata"),
  v4("0.0.0.0/8", "'this network'"),
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "carrier-grade NAT"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "IETF protocol"),
  v4("192.0.2.0/24", "documentation"),
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "benchmarking"),
  v4("198.51.100.0/24", "documentation"),
  v4("203.0.113.0/24", "documentation"),
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved"),
];

const IPV6_BLOCKED: Range[] = [
  v6("fd00:ec2::254/128", "cloud metadata"),
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("64:ff9b:1::/48", "local NAT64"),
  v6("100::/64", "discard-only"),
  v6("2001:db8::/32", "documentation"),
  v6("fc00::/7", "unique-local"),
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "site-local"),
  v6("ff00::/8", "multicast"),
];

function inRange(value: bigint, range: Range, width: number): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

function ipv4Reason(value: bigint): string | undefined {
  return IPV4_BLOCKED.find((r) => inRange(value, r, 32))?.why;
}

function ipv6Reason(value: bigint): string | undefined {
  const blocked = IPV6_BLOCKED.find((r) => inRange(value, r, 128))?.why;
  if (blocked) return blocked;
  // Addresses that carry an IPv4 address are judged by it: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d),
  // the deprecated compatible form (::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn || value >> 32n === 0x64ff9b0000000000000000n || value >> 32n === 0n) {
    return ipv4Reason(low32);
  }
  if (value >> 112n === 0x2002n) return ipv4Reason((value >> 80n) & 0xffffffffn);
  return undefined;
}

/** `[::1]` → `::1`: URL.hostname keeps the brackets of an IPv6 literal. */
function bareHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const four = parseIpv4(text);
  if (four !== undefined) return { version: 4, value: four };
  const six = parseIpv6(text);
  return six === undefined ? undefined : { version: 6, value: six };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  let address = text.split("%")[0];
  if (!address.includes(":")) return undefined;
  // A dotted IPv4 tail becomes its two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail) {
    const four = parseIpv4(tail[1]);
    if (four === undefined) return undefined;
    address = `${address.slice(0, -tail[1].length)}${(four >> 16n).toString(16)}:${(four & 0xffffn).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array(missing).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}
