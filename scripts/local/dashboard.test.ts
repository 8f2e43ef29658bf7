/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the local stack with a worker
 * on the ComfyUI simulator: sign up, generate from the Playground and watch the job to its output image; the
 * Realtime socket dropped mid-job and the page still showing the final state; cancel a job from the Jobs page;
 * create and revoke an API key; a webhook endpoint with a test ping in its delivery log; the API reference with
 * its samples; an admin who sees the worker and switches maintenance on, and a user who then sees the 503's
 * reason. Every request the pages make stays on loopback (no CDN, no telemetry). Skips, saying why, where
 * Chromium is not installed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { testDispatcher } from "../../supabase/functions/dispatch/testing/dispatch_harness.ts";
import { startReceiver, type WebhookReceiver } from "../../supabase/functions/dispatch/testing/webhook_receiver.ts";
import { startWorkerStack, type WorkerStack } from "../../worker/testing/worker_stack.ts";
import { buildDashboard } from "../build_dashboard.ts";
import { setRole } from "../cli/admin_role.ts";
import { chromiumMissing, launchChromium } from "../testing/chromium.ts";
import { eventually } from "../testing/eventually.ts";

describe("the dashboard in a browser", { skip: chromiumMissing, timeout: 180_000 }, () => {
  let stack: WorkerStack;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let dispatcher: ReturnType<typeof testDispatcher>;
  const contexts: BrowserContext[] = [];
  const requested = new Set<string>();
  let page: Page;
  let workerName: string;

  /** A page in a context of its own (its own session), whose requests are recorded. */
  const newPage = async () => {
    const context = await browser.newContext();
    contexts.push(context);
    context.on("request", (request) => requested.add(new URL(request.url()).origin));
    return context.newPage();
  };
  const signUp = async (on: Page, email: string) => {
    await on.goto(`${stack.h.target.url}/dashboard/`);
    await on.getByLabel("Email").fill(email);
    await on.getByLabel("Password").fill("correct horse battery");
    await on.getByRole("button", { name: "Sign up" }).click();
    await on.getByRole("heading", { name: "Playground" }).waitFor();
  };
  const generate = async (on: Page, steps: number, prompt = "a wood-fired kiln at dusk") => {
    await on.getByLabel("Prompt", { exact: true }).fill(prompt);
    await on.getByLabel("Width").fill("64");
    await on.getByLabel("Height").fill("64");
    await on.getByLabel("Steps").fill(String(steps));
    await on.getByRole("button", { name: "Generate" }).click();
  };
  const naturalWidth = (on: Page) =>
    on
      .getByAltText(/^Output/)
      .first()
      .evaluate((img: HTMLImageElement) =>
        img.complete && img.naturalWidth
          ? img.naturalWidth
          : new Promise((resolve) => img.addEventListener("load", () => resolve(img.naturalWidth))),
      );

  before(async () => {
    await buildDashboard();
    stack = await startWorkerStack({ functionEnv: { KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1" } });
    const sim = await stack.sim({ stepMs: 30 });
    await stack.startWorker([sim]);
    [{ name: workerName }] = await stack.h.sql<{ name: string }[]>`select name from public.workers limit 1`;
    receiver = await startReceiver();
    dispatcher = testDispatcher(stack.h.target.functionsDbUrl, { apiUrl: stack.h.target.url }, 2);
    browser = await launchChromium();
    page = await newPage();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await dispatcher?.close();
    await receiver?.close();
    await stack?.close();
  });

  it("signs up, generates from the Playground, and shows the progress and the output image", async () => {
    await signUp(page, `dash-${crypto.randomUUID()}@example.test`);
    await generate(page, 30);
    await page.getByRole("progressbar", { name: "Progress" }).waitFor();
    await page
      .getByAltText(/^Output/)
      .first()
      .waitFor({ timeout: 30_000 });
    assert.equal(await naturalWidth(page), 64);
    assert.match((await page.getByRole("heading", { level: 2 }).textContent()) ?? "", /succeeded/);
    await page.getByRole("link", { name: "Download output 1" }).waitFor();
  });

  it("loses the Realtime socket mid-job, says so, reconnects and shows the final state", async () => {
    await page.goto(`${stack.h.target.url}/dashboard/#playground`);
    await generate(page, 120, "a kiln while the network drops");
    const heading = page.getByRole("heading", { level: 2 });
    await eventually(async () => /running/.test((await heading.textContent()) ?? ""), "the job running", 20_000);
    // Every socket through the gateway closes: the browser's Realtime, and the worker's.
    await stack.h.target.restart?.();
    await page.getByText("Realtime connection lost").waitFor({ timeout: 15_000 });
    await page
      .getByAltText(/^Output/)
      .first()
      .waitFor({ timeout: 60_000 });
    assert.match((await heading.textContent()) ?? "", /succeeded/);
    assert.equal(await page.getByText("Realtime connection lost").count(), 0, "the notice goes once rejoined");
  });

  it("cancels a job from the Jobs page, and the job page shows its timeline", async () => {
    const user = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.endsWith("-auth-token"));
      return key ? JSON.parse(localStorage.getItem(key) ?? "{}").access_token : undefined;
    });
    assert.ok(user, "the session is kept in the browser");
    // A job that stalls in ComfyUI, created with the user's own token.
    const created = await stack.h.call("POST", "/v1/jobs", {
      auth: user,
      body: { type: "txt2img", params: { prompt: "forever [sim:stall]", width: 64, height: 64 } },
    });
    const { id } = (await created.json()) as { id: string };
    await page.goto(`${stack.h.target.url}/dashboard/#jobs`);
    const row = page.getByRole("row", { name: `Job ${id}` });
    await row.getByRole("button", { name: "Cancel" }).click();
    await row.getByText("canceled").waitFor({ timeout: 15_000 });
    await row.getByRole("link").click();
    const timeline = page.getByRole("region", { name: "Timeline" });
    await timeline.getByText("job.canceled").waitFor();
    await timeline.getByText("job.queued").waitFor();
  });

  it("creates an API key, shows its secret once, and revokes it", async () => {
    await page.goto(`${stack.h.target.url}/dashboard/#keys`);
    await page.getByLabel("Name").fill("from the dashboard");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.locator(".secret").textContent();
    assert.match(secret ?? "", /^kiln_sk_/);
    const row = page.getByRole("row", { name: "Key from the dashboard" });
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByText("revoked").waitFor();
  });

  it("adds a webhook endpoint, sends it a test ping, and shows the delivery with its attempt", async () => {
    await page.goto(`${stack.h.target.url}/dashboard/#webhooks`);
    const url = receiver.url("/dashboard-hook");
    await page.getByLabel("Endpoint URL").fill(url);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    assert.match((await page.locator(".secret").first().textContent()) ?? "", /^whsec_/);
    await page
      .getByRole("row", { name: `Endpoint ${url}` })
      .getByRole("button", { name: "Send test event" })
      .click();
    // The local stack's dispatch loop is off in tests: deliver now.
    await eventually(
      async () => {
        await dispatcher.dispatcher.run();
        return receiver.requests.some((r) => r.path === "/dashboard-hook");
      },
      "the ping delivered",
      15_000,
    );
    const delivery = page.getByRole("row", { name: "Delivery ping" });
    await delivery.getByText("succeeded").waitFor({ timeout: 15_000 });
    await delivery.getByRole("cell", { name: "204", exact: true }).waitFor();
  });

  it("shows the API reference, with a curl sample that carries the session's token for trying it", async () => {
    await page.goto(`${stack.h.target.url}/dashboard/#reference`);
    const reference = page.locator("#reference");
    await reference.getByText("Jobs", { exact: true }).first().click({ timeout: 30_000 });
    await reference.getByText("Create a job", { exact: true }).first().click();
    const sample = reference.locator("pre, code").filter({ hasText: "/api/v1/jobs" }).first();
    await sample.waitFor();
    const text = (await sample.textContent()) ?? "";
    assert.match(text, /^curl http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/api\/v1\/jobs/);
    assert.match(text, /Authorization: Bearer eyJ/);
  });

  it("lets an admin see the worker and switch maintenance on; a user then sees the 503's reason", async () => {
    const email = `admin-${crypto.randomUUID()}@example.test`;
    const admin = await newPage();
    await signUp(admin, email);
    assert.equal(await admin.getByRole("link", { name: "Admin" }).count(), 0, "a user sees no Admin tab");
    await setRole(stack.h.sql, email, "admin", "dashboard test");
    await admin.reload();
    await admin.getByRole("link", { name: "Admin" }).click();
    const worker = admin.getByRole("row", { name: `Worker ${workerName}` });
    await worker.getByText("online").waitFor({ timeout: 15_000 });
    await admin.getByRole("img", { name: /Jobs by type and status/ }).waitFor();
    await admin.getByRole("tab", { name: "Settings" }).click();
    await admin.getByLabel("Reason").fill("Upgrading the GPUs");
    await admin.getByRole("button", { name: "Start maintenance" }).click();
    await admin.getByText(/On: new jobs are refused/).waitFor();

    await page.goto(`${stack.h.target.url}/dashboard/#playground`);
    await generate(page, 4);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /^Upgrading the GPUs \(request [\w-]+\)$/);

    await admin.getByRole("button", { name: "End maintenance" }).click();
    await admin.getByText("Off: jobs are accepted.").waitFor();
  });

  it("made every request to the local stack only", () => {
    const elsewhere = [...requested].filter((origin) => origin !== stack.h.target.url && origin !== "null");
    assert.deepEqual(elsewhere, []);
  });
});
