// KMS keys in the console: create, disable, schedule and cancel deletion,
// as admin; a user without permission sees AWS's denial.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("admin creates a key and changes its state", async () => {
  const page = await signIn(browser, "admin");
  await shot(page, "overview");
  await page.getByRole("link", { name: "KMS keys" }).first().click();
  await page.getByText("Create a key").click();
  await page.getByLabel("Description").fill("orders database");
  await page.getByLabel("Alias").fill("alias/orders");
  await Promise.all([page.waitForURL(/\/console\/kms\/keys\//), page.getByRole("button", { name: "Create key" }).click()]);
  await assert.doesNotReject(page.getByText("Key created.").waitFor());
  assert.match(await page.locator(".state").innerText(), /Enabled/);
  await page.getByRole("button", { name: "Disable" }).click();
  await page.getByText("Key disabled.").waitFor();
  assert.match(await page.locator(".state").innerText(), /Disabled/);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Schedule deletion" }).click();
  await page.getByText("Key deletion scheduled.").waitFor();
  assert.match(await page.locator(".state").innerText(), /PendingDeletion/);
  await page.getByRole("button", { name: "Cancel deletion" }).click();
  await page.getByText("Key deletion canceled").waitFor();
  await page.goto("/console/kms");
  await page.getByRole("cell", { name: "alias/orders" }).waitFor();
  await shot(page, "kms-keys");
});

test("a user without permission sees AWS's denial", async () => {
  const page = await signIn(browser, "nobody");
  const resp = await page.goto("/console/kms");
  assert.equal(resp.status(), 400);
  const alert = await page.getByRole("alert").innerText();
  assert.match(alert, /AccessDeniedException/);
  assert.match(alert, /is not authorized to perform: kms:ListKeys/);
  assert.equal(await page.locator("table tbody a").count(), 0);
});
