/**
 * The resolver webhook targets are checked with: the system's (getaddrinfo, through node:dns, which Deno also
 * provides; Deno.resolveDns is not there under Node). Asked afresh on every delivery, never cached here.
 */
import { lookup } from "node:dns/promises";
import type { HostResolver } from "./ssrf.ts";

export const systemResolver: HostResolver = {
  async resolve(host) {
    const answers = await lookup(host, { all: true, verbatim: true });
    return answers.map((a) => a.address);
  },
};
