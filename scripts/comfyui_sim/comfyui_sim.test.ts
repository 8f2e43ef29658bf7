/**
 * The simulator, driven by the real TypeScript client (@stable-canvas/comfyui-client) the way the worker uses
 * it: its transport only (connect, on, fetchApi, viewURL, interrupt), a client-chosen prompt_id, completion on
 * `executing {node: null}`, confirmation from /history. Each test starts its own simulator on a free port.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { buildGraph } from "../../shared/comfyui/build_graph.ts";
import type { ComfyGraph } from "../../shared/comfyui/graph.ts";
import { encodePng, imageSize } from "./png.ts";
import {
  CHECKPOINT,
  type Event,
  history,
  listen,
  outputImages,
  post,
  refusal,
  run,
  txt2img,
  withSim,
} from "./sim_client_helpers.ts";

describe("ComfyUI simulator with the real client", () => {
  test("txt2img: progress per step, executed, executing null, history and a PNG of the right size", async () => {
    await withSim({}, async (sim, client) => {
      const jobId = randomUUID();
      const built = txt2img({ width: 512, height: 384, batch_size: 2, steps: 6, seed: 7 }, jobId);
      const { promptId, events } = await run(client, built.graph);
      const types = events.map(([t]) => t);
      assert.deepEqual(types.slice(0, 2), ["execution_start", "execution_cached"]);
      assert.deepEqual(types.slice(-2), ["execution_success", "executing"]);
      const executing = events.filter(([t, d]) => t === "executing" && d.node !== null).map(([, d]) => d.node);
      assert.deepEqual(executing, ["4", "5", "7", "6", "3", "8", "9"]);
      const progress = events.filter(([t]) => t === "progress").map(([, d]) => [d.node, d.value, d.max]);
      assert.deepEqual(
        progress,
        [1, 2, 3, 4, 5, 6].map((v) => ["3", v, 6]),
      );
      const images = outputImages(events);
      assert.deepEqual(images, [
        { filename: "out_00001_.png", subfolder: `kiln/${jobId}`, type: "output" },
        { filename: "out_00002_.png", subfolder: `kiln/${jobId}`, type: "output" },
      ]);

      const entry = await history(client, promptId);
      assert.deepEqual(entry.status.status_str, "success");
      assert.equal(entry.status.completed, true);
      assert.deepEqual(entry.outputs["9"].images, images);
      const files = await Promise.all(
        images.map(
          async (i) =>
            new Uint8Array(await (await fetch(client.viewURL(i.filename, i.subfolder, i.type))).arrayBuffer()),
        ),
      );
      for (const png of files) assert.deepEqual(imageSize(png), { width: 512, height: 384 });
      assert.notDeepEqual(files[0], files[1], "each image of a batch differs");
      const missing = await fetch(client.viewURL("nope.png", "", "output"));
      assert.deepEqual([missing.status, await missing.text()], [404, ""]);

      const again = await run(client, built.graph);
      assert.deepEqual(again.events.find(([t]) => t === "execution_cached")?.[1].nodes, [
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
      ]);
      assert.deepEqual(outputImages(again.events), images);
      assert.equal(sim.prompts, 2);
    });
  });

  test("validation: unknown class, bad inputs, unknown checkpoint, no outputs; a reused prompt_id is accepted", async () => {
    await withSim({}, async (_sim, client) => {
      const { graph } = txt2img({ seed: 1 });
      const unknown = await refusal(client, { ...graph, "3": { class_type: "KSamplerTurbo", inputs: {} } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.json.error, {
        type: "missing_node_type",
        message: "Node 'KSamplerTurbo' not found. The custom node may not be installed.",
        details: "Node ID '#3'",
        extra_info: { node_id: "3", class_type: "KSamplerTurbo", node_title: "KSamplerTurbo" },
      });
      // A link to a node the prompt does not have: ComfyUI's KeyError, reported as it is.
      const dangling = structuredClone(graph);
      dangling["3"].inputs.model = ["99", 0];
      const keyError = (await refusal(client, dangling)).json;
      const reasons = Object.values(
        keyError.node_errors as Record<string, { errors: { type: string; details: string }[] }>,
      ).flatMap((n) => n.errors);
      assert.ok(reasons.some((r) => r.type === "exception_during_validation" && r.details === "'99'"));
      const bad = structuredClone(graph);
      bad["3"].inputs.steps = 0;
      bad["3"].inputs.cfg = "lots";
      bad["4"].inputs.ckpt_name = "missing.safetensors";
      bad["8"].inputs.vae = ["4", 0];
      delete bad["5"].inputs.batch_size;
      const invalid = (await refusal(client, bad)).json;
      assert.equal(invalid.error.type, "prompt_outputs_failed_validation");
      const errorTypes = Object.fromEntries(
        Object.entries(invalid.node_errors as Record<string, { errors: Array<{ type: string }> }>).map(([id, e]) => [
          id,
          e.errors.map((x) => x.type).sort(),
        ]),
      );
      assert.deepEqual(errorTypes, {
        "3": ["invalid_input_type", "value_smaller_than_min"],
        "4": ["value_not_in_list"],
        "5": ["required_input_missing"],
        "8": ["return_type_mismatch"],
      });
      assert.equal(invalid.node_errors["4"].errors[0].extra_info.received_value, "missing.safetensors");
      assert.deepEqual(invalid.node_errors["4"].dependent_outputs, ["9"]);
      const noOutputs = { "4": graph["4"] };
      assert.equal((await refusal(client, noOutputs)).json.error.type, "prompt_no_outputs");
      // As 0.17 does: no 409 for a prompt_id already used; the new run overwrites its history entry.
      const first = await run(client, graph);
      const again = await post(client, graph, first.promptId);
      assert.equal(again.prompt_id, first.promptId);
    });
  });

  test("answers as 0.17 does: object_info's extra keys and combos, history's create_time, /view's length, a 500 for non-JSON", async () => {
    await withSim({ successGapMs: 300 }, async (sim, client) => {
      const info = (await (await client.fetchApi("/object_info/CheckpointLoaderSimple")).json()) as Record<
        string,
        Record<string, unknown> & { input: { required: { ckpt_name: [string[], { tooltip: string }] } } }
      >;
      const loader = info.CheckpointLoaderSimple;
      assert.deepEqual([loader.is_input_list, loader.search_aliases], [false, []]);
      assert.ok(Array.isArray(loader.output_tooltips));
      assert.ok(Array.isArray(loader.input.required.ckpt_name[0]));
      assert.equal(typeof loader.input.required.ckpt_name[1].tooltip, "string");

      const { promptId, events } = await run(client, txt2img({ seed: 3, steps: 2 }).graph);
      const entry = await history(client, promptId);
      assert.equal(typeof entry.prompt[3].create_time, "number");
      // The pause a real CPU server leaves between execution_success and the final `executing {node: null}`.
      const at = (type: string, node?: null) =>
        events.findIndex(([t, d]) => t === type && (node === undefined || d.node === node));
      assert.ok(at("execution_success") < at("executing", null));

      const [image] = (entry.outputs as Record<string, { images: { filename: string; subfolder: string }[] }>)["9"]
        .images;
      const view = await fetch(`${sim.url}/view?filename=${image.filename}&subfolder=${image.subfolder}&type=output`);
      assert.equal(Number(view.headers.get("content-length")), (await view.arrayBuffer()).byteLength);

      const garbled = await fetch(`${sim.url}/prompt`, { method: "POST", body: "{not json" });
      assert.equal(garbled.status, 500);
      assert.match(garbled.headers.get("content-type") ?? "", /^text\/plain/);
    });
  });

  test("the comfyui-2024 profile: its own prompt ids, an interrupt that stops whatever runs, no version", async () => {
    await withSim({ profile: "comfyui-2024" }, async (sim, client) => {
      const ours = randomUUID();
      const answered = await post(client, txt2img({ prompt: "a kiln [sim:stall]" }).graph, ours);
      assert.notEqual(answered.prompt_id, ours, "a client's prompt_id is ignored");
      assert.equal(await history(client, ours), undefined);
      // The id is the server's, known only from the answer: wait for /queue to show it running.
      const running = async () =>
        ((await (await client.fetchApi("/queue")).json()) as { queue_running: unknown[][] }).queue_running.some(
          (item) => item[1] === answered.prompt_id,
        );
      for (let i = 0; i < 200 && !(await running()); i++) await new Promise((r) => setTimeout(r, 10));
      const ended = listen(client, answered.prompt_id);
      await client.interrupt(randomUUID());
      await ended.done;
      assert.deepEqual(sim.interrupts, [answered.prompt_id], "another prompt's id stops the running one too");
      const stats = (await (await client.fetchApi("/system_stats")).json()) as { system: Record<string, unknown> };
      assert.equal("comfyui_version" in stats.system, false);
    });
  });

  test("upload + img2img and upscale: outputs sized from the uploaded image", async () => {
    await withSim({}, async (_sim, client) => {
      const form = new FormData();
      const png = encodePng(300, 200, new Uint8Array(300 * 200 * 3).fill(128));
      form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), "kiln_in.png");
      form.append("overwrite", "true");
      const uploaded = await (await client.fetchApi("/upload/image", { method: "POST", body: form })).json();
      assert.deepEqual(uploaded, { name: "kiln_in.png", subfolder: "", type: "input" });
      const ref = "https://x.test/in.png";
      const inputImages = { [ref]: uploaded.name };
      const loadImage = (await (await client.fetchApi("/object_info/LoadImage")).json()).LoadImage;
      assert.deepEqual(loadImage.input.required.image[0], ["kiln_in.png"]);

      const img2img = buildGraph(
        { id: randomUUID(), type: "img2img", params: { prompt: "p", image: ref, width: 256, height: 192, steps: 3 } },
        { inputImages, defaultCheckpoint: CHECKPOINT },
      );
      const upscale = buildGraph(
        { id: randomUUID(), type: "upscale", params: { image: ref, scale: 2 } },
        { inputImages },
      );
      for (const [graph, size] of [
        [img2img.graph, { width: 256, height: 192 }],
        [upscale.graph, { width: 600, height: 400 }],
      ] as const) {
        const { events } = await run(client, graph);
        const [image] = outputImages(events);
        const bytes = await (await fetch(client.viewURL(image.filename, image.subfolder, image.type))).arrayBuffer();
        assert.deepEqual(imageSize(new Uint8Array(bytes)), size);
      }
      const missing = structuredClone(img2img.graph);
      missing["10"].inputs.image = "not_uploaded.png";
      const error = (await refusal(client, missing)).json.node_errors["10"].errors[0];
      assert.deepEqual(
        [error.type, error.details],
        ["custom_validation_failed", "image - Invalid image file: not_uploaded.png"],
      );
    });
  });

  test("interrupt: a stalled prompt stops at its KSampler; another prompt's id leaves it running", async () => {
    await withSim({}, async (sim, client) => {
      const promptId = randomUUID();
      const started = listen(client, promptId, ([t, d]) => t === "executing" && d.node === "3");
      const finished = listen(client, promptId);
      await post(client, txt2img({ prompt: "a kiln [sim:stall]" }).graph, promptId);
      await started.done;
      await client.interrupt(randomUUID());
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(sim.interrupts, []);
      await client.interrupt(promptId);
      const events = await finished.done;
      assert.deepEqual(
        events.slice(-2).map(([t]) => t),
        ["execution_interrupted", "executing"],
      );
      assert.equal(events.at(-2)?.[1].node_id, "3");
      assert.equal(events.filter(([t]) => t === "progress").length, 0);
      assert.deepEqual(sim.interrupts, [promptId]);
      assert.equal((await history(client, promptId)).status.status_str, "error");
    });
  });

  test("oom: execution_error at the KSampler; oom-once and failNext fail one run only", async () => {
    await withSim({}, async (sim, client) => {
      const oom = await run(client, txt2img({ prompt: "[sim:oom] a kiln" }).graph);
      const [type, error] = oom.events.at(-2) as Event;
      assert.equal(type, "execution_error");
      assert.deepEqual(
        [error.node_id, error.node_type, error.exception_type],
        ["3", "KSampler", "torch.OutOfMemoryError"],
      );
      assert.match(String(error.exception_message), /^CUDA out of memory\. Tried to allocate/);
      assert.equal((await history(client, oom.promptId)).status.status_str, "error");

      const ending = async (graph: ComfyGraph) => (await run(client, graph)).events.at(-2)?.[0];
      assert.equal(await ending(txt2img({ prompt: "[sim:oom-once] retry me" }).graph), "execution_error");
      assert.equal(await ending(txt2img({ prompt: "[sim:oom-once] retry me" }).graph), "execution_success");
      sim.setFailNext("oom");
      assert.equal(await ending(txt2img({}).graph), "execution_error");
      assert.equal(await ending(txt2img({}).graph), "execution_success");
    });
  });

  test("drop-ws: the socket is cut mid-run, the client reconnects and history has the finished prompt", async () => {
    await withSim({ stepMs: 10 }, async (_sim, client) => {
      const reconnected = new Promise<void>((resolve) => client.on("reconnected", () => resolve()));
      const promptId = randomUUID();
      const { events, stop } = listen(client, promptId);
      await post(client, txt2img({ prompt: "a kiln [sim:drop-ws]", steps: 10 }).graph, promptId);
      await reconnected;
      stop();
      let entry = await history(client, promptId);
      for (let i = 0; !entry && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 20));
        entry = await history(client, promptId);
      }
      assert.equal(entry?.status.status_str, "success");
      assert.equal(entry.outputs["9"].images.length, 1);
      const steps = events.filter(([t]) => t === "progress").map(([, d]) => d.value);
      assert.deepEqual(steps, [1, 2, 3, 4, 5], "events after the drop are lost, as with ComfyUI");
    });
  });

  test("a checkpoint other than the last prompt's costs modelLoadMs; the same one is cached", async () => {
    await withSim({ stepMs: 0, modelLoadMs: 150 }, async (sim, client) => {
      let seed = 0;
      const timed = async (checkpoint: string) => {
        const started = performance.now();
        await run(client, txt2img({ checkpoint, seed: seed++ }).graph);
        return [performance.now() - started, sim.modelLoads];
      };
      const [first, afterFirst] = await timed(CHECKPOINT);
      const [, afterSame] = await timed(CHECKPOINT);
      const [other, afterOther] = await timed("v1-5-pruned-emaonly.safetensors");
      assert.deepEqual([afterFirst, afterSame, afterOther], [1, 1, 2], "the same checkpoint again loads nothing");
      assert.ok(first >= 150 && other >= 150, `loads took ${first} and ${other} ms`);
    });
  });
});
