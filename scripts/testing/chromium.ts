/**
 * Debian's Chromium, driven by playwright-core: where it is, whether it is there, and how Kiln launches it
 * (headless, no sandbox, no GPU, no background traffic), for the browser tests, the bench and the screenshots.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium cannot be used here, or false where it can (node:test's `skip` takes either). */
export const chromiumMissing: string | false = existsSync(CHROMIUM)
  ? false
  : "Chromium is not installed (apt-get install chromium)";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
