/**
 * DNS for tests, never the system's: a test's names resolve from a table it sets, so no lookup leaves the machine
 * and a name's answer can change mid-test (rebinding). A name not in the table does not resolve (ENOTFOUND).
 */
import type { HostResolver } from "../../shared/net/url_policy.ts";

/** A resolver whose answers a test sets and changes: `answers.set(host, [addresses])`. */
export function fixedResolver(answers: Map<string, string[]>): HostResolver {
  return {
    async resolve(host) {
      const found = answers.get(host);
      if (!found) throw Object.assign(new Error(`no answer for ${host}`), { code: "ENOTFOUND" });
      return found;
    },
  };
}

/**
 * The public names test requests use for input images and webhooks, each answered with a public address (one no
 * test connects to: workers under test resolve through the system, where these names do not resolve).
 */
export function publicTestNames(): Map<string, string[]> {
  const publicAddress = ["93.184.216.34"];
  return new Map(
    ["example.com", "sub.example.com", "images.example", "example.org", "hooks.example.test"].map((name) => [
      name,
      publicAddress,
    ]),
  );
}
