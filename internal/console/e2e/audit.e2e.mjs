// The audit trail in the console: a call made in the browser found by its
// event name and opened; a principal's timeline; a suggested policy; the
// key page's editors; and forms on other origins that post to the console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const aliceARN = process.env.SEALBOX_ALICE_ARN;

test("a key made in the console is in the audit trail", async () => {
  const page = await signIn(browser, "admin");
  await page.goto("/console/kms");
  await page.getByText("Create a key").click();
  await page.getByLabel("Description").fill("audited key");
  await Promise.all([page.waitForURL(/\/console\/kms\/keys\//), page.getByRole("button", { name: "Create key" }).click()]);
  await page.getByText("Key created.").waitFor();
  const keyURL = page.url();
  const keyID = keyURL.split("/keys/")[1].split("?")[0];

  // The key page's editors: a tag set in the browser is listed.
  await page.getByLabel("Tag key").fill("team");
  await page.getByLabel("Tag value").fill("orders");
  await page.getByRole("button", { name: "Set tag" }).click();
  await page.getByText("Tag set.").waitFor();
  await page.getByRole("cell", { name: "orders", exact: true }).waitFor();
  await page.locator("#policy-text").fill('{"Version": "2012-10-17", "Statement": []');
  await page.getByRole("button", { name: "Save policy" }).click();
  assert.match(await page.getByRole("alert").innerText(), /MalformedPolicyDocumentException/);
  assert.equal(await page.locator("#policy-text").inputValue(), '{"Version": "2012-10-17", "Statement": []');
  await shot(page, "kms-key");

  await page.getByRole("link", { name: "Audit" }).click();
  await page.getByLabel("Lookup attribute").selectOption("EventName");
  await page.getByLabel("Value").fill("CreateKey");
  await Promise.all([page.waitForURL(/value=CreateKey/), page.getByRole("button", { name: "Look up" }).click()]);
  const rows = page.locator("table.events tbody tr");
  assert.equal(await rows.count(), 2, "alice's CreateKey and the console's");
  assert.equal(await page.locator("table.events tbody").getByRole("link", { name: "CreateKey" }).count(), 2);
  assert.match(await rows.nth(0).innerText(), /admin/, "newest first: the console's own");
  await shot(page, "audit");

  await Promise.all([page.waitForURL(/\/console\/audit\/event\?id=/), rows.nth(0).getByRole("link", { name: "CreateKey" }).click()]);
  const record = JSON.parse(await page.locator("pre.event-json").innerText());
  assert.equal(record.eventName, "CreateKey");
  assert.equal(record.userAgent, "sealbox-console/1");
  assert.equal(record.userIdentity.userName, "admin");
  assert.equal(record.responseElements.keyMetadata.keyId, keyID);
  await shot(page, "audit-event");

  await Promise.all([page.waitForURL(/\/console\/audit\/principal\?arn=/), page.getByRole("link", { name: /user\/admin$/ }).click()]);
  await page.getByRole("heading", { level: 2 }).first().waitFor();
  assert.ok(await page.locator("table.events tbody tr").count() >= 5, "the console's calls as admin");
  await shot(page, "timeline");

  await page.goto("/console/audit/principal?arn=" + encodeURIComponent(aliceARN));
  await Promise.all([page.waitForURL(/\/console\/audit\/suggest\?arn=/), page.getByRole("link", { name: /Suggest a policy for/ }).click()]);
  const policy = JSON.parse(await page.locator("pre.suggested").innerText());
  assert.deepEqual(policy.Statement.flatMap((s) => s.Action).sort(), ["kms:CreateKey", "kms:DescribeKey"]);
  await shot(page, "suggest-policy");
});

// countKeys counts the keys the console lists.
async function countKeys(page) {
  await page.goto("/console/kms");
  return page.locator("table tbody a").count();
}

for (const [name, evil, status, text] of [
  ["another origin of the same site", process.env.SEALBOX_EVIL_SAME_SITE, 403, /security token is missing or does not match/],
  ["another site", process.env.SEALBOX_EVIL_CROSS_SITE, 401, /session has ended/],
]) {
  test(`a form on ${name} creates no key`, async () => {
    const page = await signIn(browser, "admin");
    const before = await countKeys(page);
    await page.goto(evil);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/console/kms") && r.request().method() === "POST"),
      page.getByRole("button", { name: "Claim" }).click(),
    ]);
    assert.equal(resp.status(), status);
    await page.waitForLoadState();
    assert.match(await page.locator("body").innerText(), text);
    assert.equal(await countKeys(page), before, "the attack made a key");
  });
}
