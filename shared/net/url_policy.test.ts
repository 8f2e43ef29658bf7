/** The SSRF check's address rules, one address at a time, and its URL rules. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockedAddressReason, checkUrlTarget, type HostResolver, parseHostList } from "./url_policy.ts";

const nowhere: HostResolver = {
  resolve: async () => {
    throw Object.assign(new Error("no DNS in this test"), { code: "ENOTFOUND" });
  },
};
const policy = { httpAllow: ["localhost"], privateAllow: [] };

describe("addresses", () => {
  it("refuses every range that is not the public internet, naming it", () => {
    const refused: Record<string, string> = {
      "0.0.0.0": "'this network'",
      "10.20.30.40": "private",
      "100.64.0.1": "carrier-grade NAT",
      "100.127.255.254": "carrier-grade NAT",
      "127.0.0.1": "loopback",
      "127.255.255.255": "loopback",
      "169.254.169.254": "cloud metadata",
      "169.254.1.1": "link-local",
      "172.16.0.1": "private",
      "172.31.255.255": "private",
      "192.0.0.8": "IETF protocol",
      "192.0.2.1": "documentation",
      "192.168.0.1": "private",
      "198.18.0.1": "benchmarking",
      "224.0.0.1": "multicast",
      "255.255.255.255": "reserved",
      "::": "unspecified",
      "::1": "loopback",
      "fd00:ec2::254": "cloud metadata",
      "fc00::1": "unique-local",
      "fdab:cdef::1": "unique-local",
      "fe80::1%eth0": "link-local",
      "ff02::1": "multicast",
      "2001:db8::1": "documentation",
      "::ffff:10.0.0.1": "private",
      "::ffff:7f00:1": "loopback",
      "64:ff9b::a9fe:a9fe": "cloud metadata",
      "2002:c0a8:0101::1": "private",
      "::127.0.0.1": "loopback",
    };
    for (const [address, why] of Object.entries(refused)) {
      assert.equal(blockedAddressReason(address), why, address);
    }
  });

  it("lets public addresses through", () => {
    for (const address of [
      "93.184.216.34",
      "8.8.8.8",
      "172.32.0.1",
      "100.128.0.1",
      "2606:4700::6810:85e5",
      "::ffff:8.8.8.8",
      "2002:0808:0808::1",
    ]) {
      assert.equal(blockedAddressReason(address), undefined, address);
    }
  });
});

describe("URLs", () => {
  it("checks an address in the URL without resolving it, IPv6 brackets included", async () => {
    assert.deepEqual(await checkUrlTarget("https://[::1]:8443/x", nowhere, policy), {
      ok: false,
      reason: "::1 is a loopback address; only public addresses are allowed",
    });
    // The URL parser normalizes decimal and hex forms of an address before the check sees them.
    const decimal = await checkUrlTarget("https://2130706433/x", nowhere, policy);
    assert.equal(decimal.ok, false);
    assert.deepEqual(await checkUrlTarget("https://93.184.216.34/x", nowhere, policy), {
      ok: true,
      addresses: ["93.184.216.34"],
    });
  });

  it("wants https, or http to an allowed host", async () => {
    const answers: HostResolver = { resolve: async () => ["93.184.216.34"] };
    assert.equal((await checkUrlTarget("ftp://example.com/x", answers, policy)).ok, false);
    assert.equal((await checkUrlTarget("http://example.com/x", answers, policy)).ok, false);
    assert.equal((await checkUrlTarget("https://example.com/x", answers, policy)).ok, true);
    assert.equal((await checkUrlTarget("not a url", answers, policy)).ok, false);
  });

  it("parses allow-lists", () => {
    assert.deepEqual(parseHostList(" Localhost, [::1],,127.0.0.1 "), ["localhost", "::1", "127.0.0.1"]);
    assert.deepEqual(parseHostList(undefined), []);
  });
});

describe("systemResolver", () => {
  it("answers with every address of a name, so the check sees them all", async () => {
    const { systemResolver } = await import("./dns_resolver.ts");
    const addresses = await systemResolver.resolve("localhost");
    assert.ok(
      addresses.some((a) => a === "127.0.0.1" || a === "::1"),
      String(addresses),
    );
    await assert.rejects(systemResolver.resolve("no-such-host.invalid"), (e: { code?: string }) => !!e.code);
  });
});
