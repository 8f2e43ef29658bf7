/**
 * The resolver webhook targets are checked with: the system's (getaddrinfo through node:dns, which Node and Deno
 * both provide; Deno.resolveDns does not exist under Node). Where a runtime lacks node:dns lookups, Deno's own DNS
 * client answers instead. Asked afresh on every delivery, never cached here.
 */
import { lookup } from "node:dns/promises";
import type { HostResolver } from "./url_policy.ts";

/** Answers of a failed DNS question, as opposed to a runtime that cannot ask. */
const DNS_FAILURES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "ENODATA", "EAI_FAIL", "ESERVFAIL", "ETIMEOUT"]);

interface DenoDns {
  Deno?: { resolveDns(host: string, type: "A" | "AAAA"): Promise<string[]> };
}

export const systemResolver: HostResolver = {
  async resolve(host) {
    try {
      const answers = await lookup(host, { all: true, verbatim: true });
      return answers.map((a) => a.address);
    } catch (error) {
      const deno = (globalThis as DenoDns).Deno;
      if (!deno?.resolveDns || DNS_FAILURES.has((error as { code?: string }).code ?? "")) throw error;
      const answers = await Promise.allSettled([deno.resolveDns(host, "A"), deno.resolveDns(host, "AAAA")]);
      const addresses = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
      if (addresses.length === 0) throw Object.assign(new Error(`${host} does not resolve`), { code: "ENOTFOUND" });
      return addresses;
    }
  },
};
