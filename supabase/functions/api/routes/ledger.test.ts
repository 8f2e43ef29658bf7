/** GET /v1/credits/ledger: the caller's credit changes, newest first, paged with a cursor, nobody else's. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LedgerEntry } from "../../../../shared/api/credits.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { assertError } from "../testing/auth_refusals.ts";

type Page = { data: LedgerEntry[]; next_cursor: string | null };

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

async function ledger(auth: string, query = ""): Promise<Page> {
  const response = await h.call("GET", `/v1/credits/ledger${query}`, { auth });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

describe("the credits ledger", () => {
  it("starts with the signup grant", async () => {
    const user = await h.user();
    const page = await ledger(user.token);
    assert.equal(page.next_cursor, null);
    assert.equal(page.data.length, 1);
    const [grant] = page.data;
    assert.equal(grant.reason, "signup_grant");
    assert.equal(grant.delta, 3000);
    assert.equal(grant.balance_after, 3000);
    assert.equal(grant.job_id, null);
    assert.equal(typeof grant.id, "number");
    assert.ok(!Number.isNaN(Date.parse(grant.created_at)));
  });

  it("lists every change newest first, a page at a time, with the balance after each", async () => {
    const user = await h.user();
    const jobId = "3b241101-e2bb-4255-8caf-4136c566a962";
    await h.sql`select kiln.post_credits(${user.id}, 500, 'admin_grant', null, null, 'welcome bonus')`;
    await h.sql`select kiln.post_credits(${user.id}, -4, 'job_charge', ${jobId})`;
    await h.sql`select kiln.post_credits(${user.id}, 4, 'job_refund', ${jobId})`;
    await h.sql`select kiln.post_credits(${user.id}, -10, 'job_charge')`;
    const seen: LedgerEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await ledger(user.token, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      seen.push(...page.data);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen.map((e) => [e.reason, e.delta, e.balance_after]),
      [
        ["job_charge", -10, 3490],
        ["job_refund", 4, 3500],
        ["job_charge", -4, 3496],
        ["admin_grant", 500, 3500],
        ["signup_grant", 3000, 3000],
      ],
    );
    assert.equal(seen[1].job_id, jobId);
    assert.equal(seen[3].note, "welcome bonus");
    assert.deepEqual(
      seen.map((e) => e.id),
      seen.map((e) => e.id).sort((x, y) => y - x),
    );
    assert.equal((await ledger(user.token, "?limit=100")).data.length, 5);
  });

  it("shows nobody else's entries", async () => {
    const a = await h.user({ credits: 5000 });
    const b = await h.user();
    const aIds = new Set((await ledger(a.token)).data.map((e) => e.id));
    const bPage = await ledger(b.token);
    assert.equal(bPage.data.length, 1);
    assert.ok(bPage.data.every((e) => !aIds.has(e.id)));
    // A cursor from A's list gives B nothing of A's.
    const aFirst = await ledger(a.token, "?limit=1");
    assert.ok(aFirst.next_cursor);
    const bWithA = await ledger(b.token, `?cursor=${encodeURIComponent(aFirst.next_cursor)}`);
    assert.ok(bWithA.data.every((e) => !aIds.has(e.id)));
  });

  it("answers an API key with account:read", async () => {
    const user = await h.user();
    const key = await h.apiKey(user, ["account:read"]);
    assert.equal((await ledger(key)).data[0].reason, "signup_grant");
  });

  it("refuses a bad limit, a forged cursor and unknown parameters", async () => {
    const user = await h.user();
    for (const [query, field] of [
      ["?limit=0", "limit"],
      ["?limit=101", "limit"],
      ["?limit=1.5", "limit"],
      ["?cursor=bm90IGpzb24", "cursor"],
      [`?cursor=${Buffer.from(JSON.stringify(["x"])).toString("base64url")}`, "cursor"],
      ["?reason=job_charge", "(body)"],
    ]) {
      const response = await h.call("GET", `/v1/credits/ledger${query}`, { auth: user.token });
      const { error } = await assertError(response, 422, "validation_failed", query);
      assert.deepEqual(Object.keys(error.details ?? {}), [field], query);
    }
  });
});
