/**
 * Loaded into every test process (scripts/test.ts): no test may send a packet off this machine, even when the
 * code under test is wrong. Every TCP connection must go to a loopback address (127.0.0.0/8, ::1) or a Unix
 * socket, or it fails at once with EKILNTESTNET; a host name resolves only if it is `localhost` (a DNS question
 * would itself leave the machine), or through a `lookup` the caller gave, whose answer is checked the same way.
 * SSRF refusals of other ranges are tested on the classification code, never by connecting.
 */
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;

function refusal(what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`test network guard: ${what} is not on this machine; tests talk to loopback only`), {
    code: "EKILNTESTNET",
  });
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;
type Lookup = (host: string, options: dns.LookupOptions, callback: LookupCallback) => void;

/** A lookup that answers only with loopback addresses: `localhost` by the system, others by `inner` if given. */
function guardedLookup(inner: Lookup | undefined): Lookup {
  return (host, options, callback) => {
    if (!inner && !/^localhost$/i.test(host)) {
      callback(Object.assign(refusal(`the name ${host}`), { code: "ENOTFOUND" }), "");
      return;
    }
    (inner ?? (dns.lookup as unknown as Lookup))(host, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const away = addresses.find((a) => !LOOPBACK.test(a));
      if (away) callback(refusal(`${host} (${away})`), "");
      else callback(null, address, family);
    });
  };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() passes its arguments already normalized, as one array: [options, callback].
  const normalized = Array.isArray(args[0]);
  const list = normalized ? (args[0] as unknown[]) : args;
  const first = list[0];
  const options = (
    typeof first === "object" && first !== null
      ? first
      : typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))
        ? { port: first, host: typeof list[1] === "string" ? list[1] : "localhost" }
        : { path: first }
  ) as net.TcpSocketConnectOpts & net.IpcSocketConnectOpts & { lookup?: Lookup };
  if (options.path === undefined) {
    const host = options.host ?? "localhost";
    if (net.isIP(host) && !LOOPBACK.test(host)) {
      process.nextTick(() => this.destroy(refusal(`the address ${host}`)));
      return this;
    }
    if (!net.isIP(host)) (options as { lookup?: Lookup }).lookup = guardedLookup(options.lookup);
  }
  return connect.apply(this, args as never);
} as typeof net.Socket.prototype.connect;

// DNS questions leave the machine: only `localhost` may be looked up.
const lookup = dns.lookup;
dns.lookup = ((host: string, ...rest: unknown[]) => {
  if (/^localhost$/i.test(host) || net.isIP(host)) return (lookup as (...a: unknown[]) => unknown)(host, ...rest);
  const callback = rest.find((r) => typeof r === "function") as LookupCallback;
  process.nextTick(() => callback(Object.assign(refusal(`the name ${host}`), { code: "ENOTFOUND" }), ""));
}) as typeof dns.lookup;
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = ((host: string, ...rest: unknown[]) => {
  if (/^localhost$/i.test(host) || net.isIP(host))
    return (lookupPromise as (...a: unknown[]) => unknown)(host, ...rest);
  return Promise.reject(Object.assign(refusal(`the name ${host}`), { code: "ENOTFOUND" }));
}) as typeof dns.promises.lookup;

// Modules that import these by name (`import { lookup } from "node:dns/promises"`) see the guarded ones.
syncBuiltinESMExports();
