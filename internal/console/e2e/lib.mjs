// Shared by the console's browser tests: a Chromium from Debian driven by
// playwright-core, the server and users the Go test (TestBrowser*) made,
// and screenshots into the folder it names.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

export const base = process.env.SEALBOX_URL;
export const users = JSON.parse(process.env.SEALBOX_USERS || "{}");
const shots = process.env.SEALBOX_SCREENSHOTS;

if (!base) throw new Error("SEALBOX_URL is not set: run these through the Go test (go test ./internal/console -run Browser)");

// launch starts Chromium as this machine allows it: Playwright makes its own
// fresh profile; the network flags keep it from calling out.
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

// signIn opens a fresh context (its own cookies) signed in as user.
export async function signIn(browser, user) {
  const creds = users[user];
  assert.ok(creds, `no such test user ${user}`);
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto("/console/signin");
  await page.getByLabel("Access key ID").fill(creds.id);
  await page.getByLabel("Secret access key").fill(creds.secret);
  if (creds.token) await page.getByLabel(/Session token/).fill(creds.token);
  await Promise.all([page.waitForURL(/\/console\/$/), page.getByRole("button", { name: "Sign in" }).click()]);
  return page;
}

// shot writes a full-page screenshot named name.png.
export async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
}

// timed returns how long the page's navigation took to load, in ms, from
// the browser's own Navigation Timing.
export async function loadTime(page) {
  return page.evaluate(() => {
    const [n] = performance.getEntriesByType("navigation");
    return n.loadEventEnd - n.startTime;
  });
}
