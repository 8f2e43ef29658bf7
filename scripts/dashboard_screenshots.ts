/**
 * `npm run screenshots`: the README's pictures of the dashboard, taken in Chromium from a running `npm start`
 * (KILN_URL, default http://127.0.0.1:54321) signed in as its demo account: sign-in, Playground with a finished
 * job, Jobs, a job's page, API keys, Webhooks, Credits, the API reference and Admin. Writes docs/screenshots/*.png.
 */
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { DEMO_EMAIL, DEMO_PASSWORD } from "./local/demo.ts";
import { launchChromium } from "./testing/chromium.ts";

const base = `${(process.env.KILN_URL ?? "http://127.0.0.1:54321").replace(/\/+$/, "")}/dashboard/`;
const out = new URL("../docs/screenshots/", import.meta.url).pathname;

const shoot = (page: Page, name: string) => page.screenshot({ path: `${out}${name}.png` });

/** Opens a page by its hash and waits for what shows it has loaded. */
async function open(page: Page, hash: string, ready: (page: Page) => Promise<unknown>) {
  await page.goto(`${base}#${hash}`);
  await ready(page);
}

async function main(): Promise<void> {
  await mkdir(out, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(base);
    await page.getByLabel("Email").fill(DEMO_EMAIL);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await shoot(page, "sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();

    await page.getByRole("heading", { name: "Playground" }).waitFor();
    await page.getByLabel("Prompt", { exact: true }).fill("a wood-fired kiln at dusk, embers glowing");
    await page.getByRole("button", { name: "Generate" }).click();
    const output = page.getByAltText(/^Output/).first();
    await output.waitFor({ timeout: 60_000 });
    await output.evaluate((img) => img.scrollIntoView({ block: "end" }));
    await shoot(page, "playground");

    const job = (p: Page) => p.getByRole("row", { name: /^Job [0-9a-f-]{36}$/ }).first();
    await open(page, "jobs", (p) => job(p).getByRole("img").waitFor());
    await shoot(page, "jobs");
    await job(page).getByRole("link").click();
    await page.getByRole("region", { name: "Timeline" }).getByText("job.succeeded").waitFor();
    await shoot(page, "job");

    await open(page, "keys", (p) =>
      p
        .getByRole("row", { name: /^Key .+/ })
        .first()
        .waitFor(),
    );
    await shoot(page, "keys");
    await open(page, "webhooks", (p) => p.getByLabel("Endpoint URL").waitFor());
    await shoot(page, "webhooks");
    await open(page, "credits", (p) => p.getByRole("heading", { name: "Credits" }).waitFor());
    await shoot(page, "credits");
    await open(page, "reference", (p) => p.locator("#reference").getByText("Jobs", { exact: true }).first().waitFor());
    await shoot(page, "reference");
    await open(page, "admin", (p) => p.getByRole("img", { name: /Jobs by type and status/ }).waitFor());
    await page
      .getByRole("row", { name: /^Worker / })
      .getByText("online")
      .first()
      .waitFor();
    await shoot(page, "admin");
    console.log(`Screenshots written to ${out}`);
  } finally {
    await browser.close();
  }
}

await main();
