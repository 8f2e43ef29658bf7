/** GET /v1/jobs/{id}, GET /v1/jobs and POST /v1/jobs/{id}/cancel over HTTP, and what one user sees of another's. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiHarness, startApiHarness, type TestUser } from "../testing/api_harness.ts";
import { claimJob, completeJob } from "../testing/job_fixtures.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

async function createJob(user: TestUser, type = "txt2img", params: unknown = { prompt: "a kiln" }): Promise<string> {
  const response = await h.call("POST", "/v1/jobs", { auth: user.token, body: { type, params } });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.id;
}

async function errorCode(response: Response, status: number): Promise<string> {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  return body.error.code;
}

describe("GET /v1/jobs/{id}", () => {
  it("returns the job with its queue position, and its events on request", async () => {
    const user = await h.user();
    const id = await createJob(user);
    const response = await h.call("GET", `/v1/jobs/${id}`, { auth: await h.apiKey(user, ["jobs:read"]) });
    const job = await response.json();
    assert.equal(response.status, 200);
    assert.equal(job.id, id);
    assert.equal(job.queue.position >= 1, true);
    assert.equal(job.events, undefined);
    const withEvents = await (await h.call("GET", `/v1/jobs/${id}?include=events`, { auth: user.token })).json();
    assert.deepEqual(
      withEvents.events.map((e: { type: string; status: string }) => [e.type, e.status]),
      [["job.queued", "queued"]],
    );
  });

  it("hides other users' jobs and unknown ids (404), and checks the id (422)", async () => {
    const [a, b] = [await h.user(), await h.user()];
    const id = await createJob(a);
    assert.equal(await errorCode(await h.call("GET", `/v1/jobs/${id}`, { auth: b.token }), 404), "not_found");
    const unknown = `/v1/jobs/${crypto.randomUUID()}`;
    assert.equal(await errorCode(await h.call("GET", unknown, { auth: a.token }), 404), "not_found");
    assert.equal(await errorCode(await h.call("GET", "/v1/jobs/42", { auth: a.token }), 422), "validation_failed");
    const writeOnly = await h.apiKey(a, ["jobs:write"]);
    assert.equal(await errorCode(await h.call("GET", `/v1/jobs/${id}`, { auth: writeOnly }), 403), "missing_scope");
    assert.equal(await errorCode(await h.call("GET", `/v1/jobs/${id}`), 401), "missing_credentials");
  });
});

describe("GET /v1/jobs", () => {
  it("lists the caller's jobs newest first, a page at a time", async () => {
    const [user, other] = [await h.user(), await h.user()];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createJob(user));
    await createJob(other);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await (await h.call("GET", `/v1/jobs${query}`, { auth: user.token })).json();
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((j: { id: string }) => j.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, ids.reverse());
  });

  it("filters by status, type and creation time", async () => {
    const user = await h.user();
    const queued = await createJob(user);
    const done = await createJob(user, "upscale", { image: "https://example.com/a.png" });
    await completeJob(h.sql, done);
    const list = async (query: string) => {
      const response = await h.call("GET", `/v1/jobs${query}`, { auth: user.token });
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      return body.data.map((j: { id: string }) => j.id);
    };
    assert.deepEqual(await list("?status=queued"), [queued]);
    assert.deepEqual(await list("?status=succeeded,failed"), [done]);
    assert.deepEqual(await list("?type=upscale"), [done]);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.deepEqual(await list(`?created_after=${future}`), []);
    assert.deepEqual(await list(`?created_before=${future}&type=txt2img`), [queued]);
    const bad = await (await h.call("GET", "/v1/jobs?status=done&limit=500", { auth: user.token })).json();
    assert.match(bad.error.details.status, /^status must be a comma-separated list of: queued, running/);
    assert.match(bad.error.details.limit, /^limit must be a whole number from 1 to 100/);
    const cursor = await (await h.call("GET", "/v1/jobs?cursor=nonsense", { auth: user.token })).json();
    assert.equal(cursor.error.code, "validation_failed");
  });
});

describe("POST /v1/jobs/{id}/cancel", () => {
  it("cancels a queued job and refunds it", async () => {
    const user = await h.user();
    const id = await createJob(user);
    const response = await h.call("POST", `/v1/jobs/${id}/cancel`, { auth: user.token });
    const job = await response.json();
    assert.equal(response.status, 200, JSON.stringify(job));
    assert.equal(job.status, "canceled");
    const [{ credits }] = await h.sql`select credits::int as credits from public.profiles where id = ${user.id}`;
    assert.equal(credits, 3000);
  });

  it("asks a running job to stop", async () => {
    const user = await h.user();
    const id = await createJob(user);
    await claimJob(h.sql, id);
    const job = await (await h.call("POST", `/v1/jobs/${id}/cancel`, { auth: user.token })).json();
    assert.equal(job.status, "running");
    assert.equal(job.cancel_requested, true);
  });

  it("refuses finished jobs (409), other users' jobs (404) and keys without jobs:write (403)", async () => {
    const [user, other] = [await h.user(), await h.user()];
    const id = await createJob(user);
    await completeJob(h.sql, id);
    assert.equal(
      await errorCode(await h.call("POST", `/v1/jobs/${id}/cancel`, { auth: user.token }), 409),
      "invalid_state",
    );
    const queued = await createJob(user);
    assert.equal(
      await errorCode(await h.call("POST", `/v1/jobs/${queued}/cancel`, { auth: other.token }), 404),
      "not_found",
    );
    const readOnly = await h.apiKey(user, ["jobs:read"]);
    assert.equal(
      await errorCode(await h.call("POST", `/v1/jobs/${queued}/cancel`, { auth: readOnly }), 403),
      "missing_scope",
    );
  });
});
