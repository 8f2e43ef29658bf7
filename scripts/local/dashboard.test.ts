/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the local stack with a worker
 * on the ComfyUI simulator: sign up, generate from the Playground and watch the job to its output image; cancel a
 * job from the Jobs page; create and revoke an API key. Skips, saying why, where Chromium is not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { startWorkerStack, type WorkerStack } from "../../worker/testing/worker_stack.ts";
import { buildDashboard } from "../build_dashboard.ts";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : "Chromium is not installed (apt-get install chromium)";

describe("the dashboard in a browser", { skip, timeout: 120_000 }, () => {
  let stack: WorkerStack;
  let browser: Browser;
  let page: Page;
  before(async () => {
    await buildDashboard();
    stack = await startWorkerStack();
    const sim = await stack.sim({ stepMs: 30 });
    await stack.startWorker([sim]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("signs up, generates from the Playground, and shows the progress and the output image", async () => {
    await page.goto(`${stack.h.target.url}/dashboard/`);
    await page.getByLabel("Email").fill(`dash-${crypto.randomUUID()}@example.test`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("heading", { name: "Playground" }).waitFor();
    await page.getByLabel("Prompt", { exact: true }).fill("a wood-fired kiln at dusk");
    await page.getByLabel("Width").fill("64");
    await page.getByLabel("Height").fill("64");
    await page.getByLabel("Steps").fill("30");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByRole("progressbar", { name: "Progress" }).waitFor();
    const output = page.getByAltText(/^Output/).first();
    await output.waitFor({ timeout: 30_000 });
    const width = await output.evaluate((img: HTMLImageElement) =>
      img.complete
        ? img.naturalWidth
        : new Promise((resolve) => img.addEventListener("load", () => resolve(img.naturalWidth))),
    );
    assert.equal(width, 64);
    assert.match((await page.getByRole("heading", { level: 2 }).textContent()) ?? "", /succeeded/);
  });

  it("cancels a job from the Jobs page", async () => {
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
});
