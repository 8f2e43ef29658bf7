/**
 * SSRF at delivery: the host is resolved again before every attempt, and an answer that is not a public address
 * is refused (a failed attempt saying why) unless the host is on the private allow-list. The receiver is on
 * loopback; the test's resolver answers for made-up names and its fetch routes those names to the receiver, as
 * DNS would.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fixedResolver } from "../../../../scripts/testing/fixed_resolver.ts";
import { createJob } from "../../../tests/helpers/fixtures.ts";
import { useDeliveryTest } from "../testing/dispatch_harness.ts";
import { deliveries, makeDue, ownerWithEndpoint } from "../testing/webhook_fixtures.ts";

const PUBLIC_ADDRESS = "93.184.216.34";
const answers = new Map<string, string[]>();

const t = useDeliveryTest();

/** fetch, with the test's made-up hosts (*.kiln.test) reaching the loopback t.receiver. */
const routedFetch: typeof fetch = (input, init) => {
  const url = new URL(String(input));
  if (url.hostname.endsWith(".kiln.test")) {
    url.hostname = "127.0.0.1";
    url.port = String(t.receiver.port);
  }
  return fetch(url, init);
};

function dispatcher() {
  return t.h.dispatcher({
    resolver: fixedResolver(answers),
    fetch: routedFetch,
    policy: { httpAllow: ["hooks.kiln.test", "trusted.kiln.test", "127.0.0.1"], privateAllow: ["trusted.kiln.test"] },
  });
}

async function queueOne(url: string) {
  const { owner, endpoint } = await ownerWithEndpoint(t.h.db, url, ["job.queued"]);
  const { job } = await createJob(t.h.db, owner, { type: "hook_ssrf", cost: 0 });
  return { endpoint: endpoint.id, jobId: job.id };
}

describe("SSRF at delivery", () => {
  it("delivers while the host resolves to a public address, refuses when the answer turns private", async () => {
    answers.set("hooks.kiln.test", [PUBLIC_ADDRESS]);
    const first = await queueOne("http://hooks.kiln.test/rebind");
    assert.equal((await dispatcher().run()).delivered, 1);
    assert.equal(t.receiver.requests.filter((r) => r.path === "/rebind").length, 1);

    const cases = [
      [["10.0.0.7"], /refused: 10\.0\.0\.7 is a private address \(hooks\.kiln\.test resolves to 10\.0\.0\.7\)/],
      [["169.254.169.254"], /169\.254\.169\.254 is a cloud metadata address/],
      [["fd00:ec2::254"], /fd00:ec2::254 is a cloud metadata address/],
      [["::1"], /::1 is a loopback address/],
      [["100.64.1.2"], /carrier-grade NAT/],
      [["fe80::1"], /link-local/],
      [["::ffff:127.0.0.1"], /loopback/],
      [[PUBLIC_ADDRESS, "192.168.1.10"], /192\.168\.1\.10 is a private address/],
    ] as const;
    const { endpoint, jobId } = await queueOne("http://hooks.kiln.test/rebind");
    for (const [i, [answer, reason]] of cases.entries()) {
      answers.set("hooks.kiln.test", [...answer]);
      const counts = await dispatcher().run();
      // The eighth failure is the schedule's last: that one ends the delivery.
      assert.equal(counts.retrying + counts.dead, 1, `${answer}`);
      const [row] = await deliveries(t.h.db, jobId);
      assert.equal(row.attempts, i + 1);
      assert.equal(row.last_response_code, null);
      assert.match(row.last_error ?? "", reason);
      await makeDue(t.h.db, { endpoint });
    }
    assert.equal(
      t.receiver.requests.filter((r) => r.path === "/rebind").length,
      1,
      "nothing more reached the receiver",
    );
    const attempts = await t.h.db.query<{ error: string }>(
      "select a.error from public.webhook_attempts a join public.webhook_deliveries d on d.id = a.delivery_id where d.job_id = $1",
      [jobId],
    );
    assert.equal(attempts.length, cases.length, "each refusal is a logged attempt");
    assert.notEqual(first.jobId, jobId);
  });

  it("a name that does not resolve is a failed attempt too", async () => {
    const { jobId } = await queueOne("https://nowhere.kiln.test/x");
    await dispatcher().run();
    const [row] = await deliveries(t.h.db, jobId);
    assert.match(row.last_error ?? "", /refused: .*nowhere\.kiln\.test does not resolve \(ENOTFOUND\)/);
  });

  it("a host on the private allow-list may resolve to a private address", async () => {
    answers.set("trusted.kiln.test", ["10.1.2.3"]);
    const { jobId } = await queueOne("http://trusted.kiln.test/trusted");
    assert.equal((await dispatcher().run()).delivered, 1);
    assert.equal((await deliveries(t.h.db, jobId))[0].status, "succeeded");
  });

  it("an address in the URL is checked too, and plain http needs the http allow-list", async () => {
    const loopback = await queueOne(`http://127.0.0.1:${t.receiver.port}/literal`);
    const plain = await queueOne("http://public.kiln.test/plain");
    answers.set("public.kiln.test", [PUBLIC_ADDRESS]);
    await dispatcher().run();
    assert.match((await deliveries(t.h.db, loopback.jobId))[0].last_error ?? "", /127\.0\.0\.1 is a loopback address;/);
    assert.match(
      (await deliveries(t.h.db, plain.jobId))[0].last_error ?? "",
      /plain http is allowed only for hosts on the allow-list, not public\.kiln\.test/,
    );
    assert.equal(t.receiver.requests.filter((r) => r.path === "/literal" || r.path === "/plain").length, 0);
  });
});
