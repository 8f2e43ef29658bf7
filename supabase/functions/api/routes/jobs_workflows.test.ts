/** GET /v1/workflows, and workflow jobs whose inputs are checked against the stored workflow's bindings. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

const graph = {
  "3": { class_type: "KSampler", inputs: { steps: 20, seed: 1 } },
  "6": { class_type: "CLIPTextEncode", inputs: { text: "a fox" } },
  "9": { class_type: "LoadImage", inputs: { image: "in.png" } },
};
const bindings = {
  prompt: { node: "6", input: "text", type: "string", max: 500 },
  steps: { node: "3", input: "steps", type: "integer", min: 1, max: 50 },
  image: { node: "9", input: "image", type: "image" },
};

/** Stores a workflow; `owner` null makes it global. */
async function storeWorkflow(name: string, owner: string | null, options: { enabled?: boolean } = {}): Promise<string> {
  const [{ id }] = await h.sql<{ id: string }[]>`
    insert into public.workflows (owner_id, name, graph, bindings, cost_rule, enabled)
    values (${owner}, ${name}, ${h.sql.json(graph)}, ${h.sql.json(bindings)}, ${h.sql.json({ base: 5, per_step: 1 })},
            ${options.enabled ?? true})
    returning id`;
  return id;
}

describe("GET /v1/workflows", () => {
  it("lists the enabled global workflows and the caller's own, with their inputs", async () => {
    const [user, other] = [await h.user(), await h.user()];
    const global = await storeWorkflow("global-fox", null);
    const own = await storeWorkflow("my-fox", user.id);
    await storeWorkflow("their-fox", other.id);
    await storeWorkflow("old-fox", null, { enabled: false });
    const response = await h.call("GET", "/v1/workflows", { auth: await h.apiKey(user, ["jobs:read"]) });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.data.map((w: { id: string; shared: boolean }) => [w.id, w.shared]),
      [
        [global, true],
        [own, false],
      ],
    );
    assert.deepEqual(body.data[0].inputs, bindings);
    assert.equal((await h.call("GET", "/v1/workflows")).status, 401);
  });
});

describe("POST /v1/jobs with type workflow", () => {
  it("runs a stored workflow with inputs, priced by its cost rule", async () => {
    const user = await h.user();
    const workflowId = await storeWorkflow("fox-1", null);
    const body = { type: "workflow", params: { workflow_id: workflowId, inputs: { prompt: "a red fox", steps: 12 } } };
    const response = await h.call("POST", "/v1/jobs", { auth: user.token, body });
    const job = await response.json();
    assert.equal(response.status, 201, JSON.stringify(job));
    assert.equal(job.workflow_id, workflowId);
    assert.equal(job.cost, 5 + 12);
    const defaults = { type: "workflow", params: { workflow_id: workflowId } };
    const graphSteps = await (await h.call("POST", "/v1/jobs", { auth: user.token, body: defaults })).json();
    assert.equal(graphSteps.cost, 5 + 20, "steps not given: the graph's value prices it");
  });

  it("refuses inputs the bindings do not allow, with paths under params.inputs", async () => {
    const user = await h.user();
    const workflowId = await storeWorkflow("fox-2", user.id);
    const inputs = { steps: 99, image: "ftp://x", prompt: 3, colour: "red" };
    const body = { type: "workflow", params: { workflow_id: workflowId, inputs } };
    const response = await h.call("POST", "/v1/jobs", { auth: user.token, body });
    const { error } = await response.json();
    assert.equal(response.status, 422);
    assert.equal(error.details["params.inputs.steps"], "steps must be a whole number between 1 and 50");
    assert.equal(
      error.details["params.inputs.image"],
      "image must be an https URL or upload:<id> from POST /v1/uploads",
    );
    assert.equal(error.details["params.inputs.prompt"], "prompt must be text with a length of at most 500");
    assert.equal(
      error.details["params.inputs"],
      'this workflow has no input "colour"; its inputs are: image, prompt, steps',
    );
  });

  it("refuses workflows the caller cannot run, and a workflow of another job type", async () => {
    const [user, other] = [await h.user(), await h.user()];
    const theirs = await storeWorkflow("fox-3", other.id);
    const call = (body: unknown) => h.call("POST", "/v1/jobs", { auth: user.token, body });
    const hidden = await (await call({ type: "workflow", params: { workflow_id: theirs } })).json();
    assert.match(hidden.error.details["params.workflow_id"], /^no workflow .* is available to you/);
    const mine = await storeWorkflow("fox-4", user.id);
    const mismatch = await (await call({ type: "txt2img", workflow_id: mine, params: { prompt: "p" } })).json();
    assert.equal(mismatch.error.details.workflow_id, `workflow ${mine} runs workflow jobs, not txt2img`);
    const missing = await (await call({ type: "workflow", params: {} })).json();
    assert.equal(
      missing.error.details["params.workflow_id"],
      "workflow_id must be the id of a workflow from GET /v1/workflows",
    );
  });
});
