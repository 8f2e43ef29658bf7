/**
 * Files end to end: POST /v1/uploads and a PUT to its signed URL, a job that names the upload, and a job's
 * outputs signed (GET) and removed (DELETE) through the stack's Storage.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiHarness, startApiHarness, type TestUser } from "../testing/api_harness.ts";
import { claimJob, completeJob, putObject, TINY_PNG } from "../testing/job_fixtures.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

async function createJob(user: TestUser): Promise<string> {
  const body = { type: "upscale", params: { image: "https://example.com/in.png" } };
  const response = await h.call("POST", "/v1/jobs", { auth: user.token, body });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

/** A succeeded job of `user` with one output file really in the outputs bucket. */
async function jobWithOutput(user: TestUser): Promise<{ id: string; path: string }> {
  const id = await createJob(user);
  const path = `${user.id}/${id}/out_00001.png`;
  await putObject(h, "outputs", path, TINY_PNG);
  await completeJob(h.sql, id, [{ path, content_type: "image/png", size: TINY_PNG.length, width: 1, height: 1 }]);
  return { id, path };
}

describe("POST /v1/uploads", () => {
  it("gives a signed URL that takes the image, and a ref that jobs accept", async () => {
    const user = await h.user();
    const response = await h.call("POST", "/v1/uploads", { auth: user.token, body: { content_type: "image/png" } });
    const upload = await response.json();
    assert.equal(response.status, 201, JSON.stringify(upload));
    assert.equal(upload.path, `${user.id}/uploads/${upload.upload_id}`);
    assert.equal(upload.ref, `upload:${upload.upload_id}`);
    assert.ok(Date.parse(upload.expires_at) > Date.now() + 3600_000);
    const put = await fetch(upload.signed_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: TINY_PNG,
    });
    assert.equal(put.status, 200, await put.text());
    const body = { type: "img2img", params: { prompt: "in oils", image: upload.ref, denoise: 0.5 } };
    const job = await h.call("POST", "/v1/jobs", { auth: user.token, body });
    assert.equal(job.status, 201, await job.clone().text());
    assert.equal((await job.json()).cost, 10 + Math.ceil(20 * 1.048576), "all 20 steps, whatever the denoise");
    // Another user cannot name it: refs resolve under the caller's own folder.
    const other = await h.user();
    const theirs = await h.call("POST", "/v1/jobs", { auth: other.token, body });
    assert.equal(theirs.status, 422);
  });

  it("refuses other content types and oversized files (422)", async () => {
    const user = await h.user();
    const call = (body: unknown) => h.call("POST", "/v1/uploads", { auth: user.token, body });
    const gif = await (await call({ content_type: "image/gif" })).json();
    assert.equal(gif.error.details.content_type, "content_type must be one of: image/png, image/jpeg, image/webp");
    const big = await (await call({ content_type: "image/png", size: 21 * 1024 * 1024 })).json();
    assert.match(big.error.details.size, /^size must be a whole number of bytes from 1 to 20971520/);
  });
});

describe("GET /v1/jobs/{id}/outputs", () => {
  it("signs each output for the default hour, or for expires_in", async () => {
    const user = await h.user();
    const { id, path } = await jobWithOutput(user);
    const response = await h.call("GET", `/v1/jobs/${id}/outputs`, { auth: user.token });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.outputs.length, 1);
    assert.equal(body.outputs[0].path, path);
    const expiresIn = (Date.parse(body.expires_at) - Date.now()) / 1000;
    assert.ok(expiresIn > 3500 && expiresIn <= 3600, `expires in ${expiresIn} s`);
    const file = await fetch(body.outputs[0].url);
    assert.equal(file.status, 200);
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), TINY_PNG);
    const short = await (await h.call("GET", `/v1/jobs/${id}/outputs?expires_in=60`, { auth: user.token })).json();
    assert.ok(Date.parse(short.expires_at) - Date.now() <= 60_000);
    const bad = await (await h.call("GET", `/v1/jobs/${id}/outputs?expires_in=30`, { auth: user.token })).json();
    assert.match(bad.error.details.expires_in, /^expires_in must be a whole number of seconds from 60 to 604800/);
  });

  it("hides other users' outputs (404)", async () => {
    const { id } = await jobWithOutput(await h.user());
    const response = await h.call("GET", `/v1/jobs/${id}/outputs`, { auth: (await h.user()).token });
    assert.equal(response.status, 404);
  });
});

describe("DELETE /v1/jobs/{id}/outputs", () => {
  it("removes a finished job's files and empties its outputs", async () => {
    const user = await h.user();
    const { id, path } = await jobWithOutput(user);
    const signed = (await (await h.call("GET", `/v1/jobs/${id}/outputs`, { auth: user.token })).json()).outputs[0].url;
    const response = await h.call("DELETE", `/v1/jobs/${id}/outputs`, { auth: user.token });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { job_id: id, deleted: 1 });
    assert.equal((await fetch(signed)).status >= 400, true, "the file is gone");
    const [row] = await h.sql`select outputs from public.jobs where id = ${id}`;
    assert.deepEqual(row.outputs, []);
    const [object] = await h.sql`select 1 from storage.objects where bucket_id = 'outputs' and name = ${path}`;
    assert.equal(object, undefined);
  });

  it("refuses while the job runs (409), for other users (404) and without jobs:write (403)", async () => {
    const user = await h.user();
    const id = await createJob(user);
    await claimJob(h.sql, id);
    const running = await (await h.call("DELETE", `/v1/jobs/${id}/outputs`, { auth: user.token })).json();
    assert.equal(running.error.code, "invalid_state");
    assert.match(running.error.message, /is running/);
    const { id: done } = await jobWithOutput(user);
    const other = await h.call("DELETE", `/v1/jobs/${done}/outputs`, { auth: (await h.user()).token });
    assert.equal(other.status, 404);
    const readOnly = await h.apiKey(user, ["jobs:read"]);
    assert.equal((await h.call("DELETE", `/v1/jobs/${done}/outputs`, { auth: readOnly })).status, 403);
  });
});
