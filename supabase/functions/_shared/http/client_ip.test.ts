/** The client's address from the trusted header only, and x-forwarded-for counted from the right. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientIp } from "./client_ip.ts";

const headers = (init: Record<string, string>) => new Headers(init);
const hosted = { KILN_CLIENT_IP_HEADER: "cf-connecting-ip", KILN_TRUSTED_PROXY_HOPS: 1 };

describe("clientIp", () => {
  it("reads the trusted header, ignoring the headers a client writes", () => {
    const forged = { "x-forwarded-for": "6.6.6.6", "x-real-ip": "7.7.7.7" };
    assert.equal(clientIp(headers({ ...forged, "cf-connecting-ip": "203.0.113.5" }), hosted), "203.0.113.5");
    assert.equal(clientIp(headers(forged), hosted), null, "no trusted header: no address, never a forged one");
    assert.equal(clientIp(headers({ "cf-connecting-ip": "2001:db8::1" }), hosted), "2001:db8::1");
    for (const bad of ["not-an-ip", "1.2.3.4, 5.6.7.8", "999.1.1.1", "1.2.3.4; drop table", ""]) {
      assert.equal(clientIp(headers({ "cf-connecting-ip": bad }), hosted), null, bad);
    }
  });

  it("takes x-forwarded-for's entry as many hops from the right as there are trusted proxies", () => {
    const chain = headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.5, 10.0.0.2" });
    const xff = (hops: number) => ({ KILN_CLIENT_IP_HEADER: "x-forwarded-for", KILN_TRUSTED_PROXY_HOPS: hops });
    assert.equal(clientIp(chain, xff(1)), "10.0.0.2");
    assert.equal(clientIp(chain, xff(2)), "203.0.113.5");
    assert.equal(clientIp(chain, xff(3)), "6.6.6.6");
    assert.equal(clientIp(chain, xff(4)), null, "fewer entries than trusted hops: no address");
  });
});
